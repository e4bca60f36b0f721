"""The local web page for checking and correcting readings (CRNN_serve.py): the app and its static files."""
