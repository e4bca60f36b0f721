"""The correction page's web app: upload a page, see each line's box and reading, fix the wrong ones, and export
the lines as crops with a ``file<TAB>text`` label file, what CRNN_labels.py and fine-tuning read.

The app is Starlette's, through FastAPI; uvicorn serves it (CRNN_serve.py). One Reader, loaded once, reads every
upload; reads are serialized by a lock, so concurrent uploads are all answered, one after another. Uploads live
in a private temporary folder under names the server makes; exports are written under ``out_dir`` only.
"""
import io
import os
import secrets
import shutil
import tempfile
import threading
import time
import zipfile
from collections import OrderedDict

import cv2
import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from crnn_page import CELL_MARK
from crnn_reader import ReadError
from utils.page_files import PAGE_EXTENSIONS, PageReadError, count_pages, iter_pages

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'static')
KEPT_UPLOADS = 20  # the newest uploads kept for page changes and exports; older ones are deleted


def crop_polygon(gray, polygon):
    """The line inside a 4-corner polygon (clockwise from the text's top-left), warped upright to a rectangle."""
    quad = np.float32(polygon)
    width = int(round(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3]))))
    height = int(round(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1]))))
    flat = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    matrix = cv2.getPerspectiveTransform(quad, flat)
    return cv2.warpPerspective(gray, matrix, (max(width, 1), max(height, 1)), flags=cv2.INTER_LINEAR,
                               borderValue=255)


def png_bytes(gray):
    ok, data = cv2.imencode('.png', gray)
    return data.tobytes()


class Uploads:
    """Uploaded files under server-made names, and the pages read from them, the newest KEPT_UPLOADS kept."""

    def __init__(self, folder):
        self.folder = folder
        self.files = OrderedDict()  # id -> (path, client's file name, page count)
        self.pages = {}  # (id, page number) -> crnn_reader.Page
        self.lock = threading.Lock()

    def add(self, data, name):
        ext = os.path.splitext(name)[1].lower()
        if ext not in PAGE_EXTENSIONS:
            raise HTTPException(400, '%s: not a page file (%s)' % (name, ', '.join(PAGE_EXTENSIONS)))
        upload = secrets.token_hex(8)
        path = os.path.join(self.folder, upload + ext)
        with open(path, 'wb') as f:
            f.write(data)
        try:
            count = count_pages(path)
        except ValueError as e:
            os.remove(path)
            raise HTTPException(400, str(e).replace(path, name)) from None
        with self.lock:
            self.files[upload] = (path, name, count)
            while len(self.files) > KEPT_UPLOADS:
                old, (old_path, _, _) = self.files.popitem(last=False)
                os.remove(old_path)
                for key in [k for k in self.pages if k[0] == old]:
                    del self.pages[key]
        return upload

    def get(self, upload):
        with self.lock:
            if upload not in self.files:
                raise HTTPException(404, 'no upload %r (uploads are kept while the server runs, the newest %d)'
                                    % (upload, KEPT_UPLOADS))
            return self.files[upload]

    def page(self, upload, number):
        with self.lock:
            page = self.pages.get((upload, number))
        if page is None:
            raise HTTPException(404, 'page %d of upload %r has not been read' % (number, upload))
        return page


def create_app(reader, out_dir, max_upload_bytes, temp_dir=None):
    """The FastAPI app over a loaded crnn_reader.Reader; exports go under ``out_dir``."""
    app = FastAPI(title='OCR_CRNN', docs_url=None, redoc_url=None, openapi_url=None)
    uploads = Uploads(tempfile.mkdtemp(prefix='ocr_crnn_serve_', dir=temp_dir))
    read_lock = threading.Lock()
    app.state.uploads = uploads

    @app.exception_handler(HTTPException)
    async def http_error(request, e):
        return JSONResponse({'error': e.detail}, status_code=e.status_code)

    @app.exception_handler(Exception)
    async def internal_error(request, e):  # the message, never a traceback
        return JSONResponse({'error': 'internal error (%s: %s)' % (type(e).__name__, e)}, status_code=500)

    @app.get('/')
    def index():
        return FileResponse(os.path.join(STATIC, 'index.html'))

    app.mount('/static', StaticFiles(directory=STATIC), name='static')

    def read(upload, number):
        path, name, count = uploads.get(upload)
        if not 1 <= number <= count:
            raise HTTPException(400, '%s has %d page(s): page %d does not exist' % (name, count, number))
        with read_lock:
            try:
                gray = next(g for n, g in enumerate(iter_pages(path, reader.dpi), 1) if n == number)
                page = reader.read_page(gray, name, number)
            except (ReadError, PageReadError) as e:
                raise HTTPException(400, str(e).replace(path, name)) from None
        with uploads.lock:
            uploads.pages[(upload, number)] = page
        return dict(pages=[page.record()], upload=upload, name=name, page=number, page_count=count,
                    image='/api/uploads/%s/pages/%d.png' % (upload, number))

    @app.post('/api/read')
    async def api_read(request: Request):
        """A page file (multipart field ``file``; or ``upload``, the id of an earlier one) and its ``page``
        (default 1): the JSON record CRNN_predict.py --output writes, with the upload's id and page count."""
        size = request.headers.get('content-length')
        if size and size.isdigit() and int(size) > max_upload_bytes + 65536:
            raise HTTPException(413, 'the upload is over the limit of %d MB' % (max_upload_bytes >> 20))
        try:
            form = await request.form(max_files=1, max_fields=4)
        except Exception as e:  # malformed multipart bodies
            raise HTTPException(400, 'not a multipart form with a file: %s' % e) from None
        page = form.get('page') or '1'
        if not str(page).isdigit():
            raise HTTPException(400, 'page must be a page number, not %r' % page)
        file, upload = form.get('file'), form.get('upload')
        if upload is None:
            if file is None or isinstance(file, str):
                raise HTTPException(400, "give the page file as the multipart field 'file'")
            data = await file.read(max_upload_bytes + 1)
            if len(data) > max_upload_bytes:
                raise HTTPException(413, '%s is over the limit of %d MB' % (file.filename, max_upload_bytes >> 20))
            if not data:
                raise HTTPException(400, '%s is empty' % file.filename)
            upload = uploads.add(data, os.path.basename(file.filename or 'upload'))
        from starlette.concurrency import run_in_threadpool
        return await run_in_threadpool(read, str(upload), int(page))

    @app.get('/api/uploads/{upload}/pages/{number}.png')
    def page_image(upload: str, number: int):
        return Response(png_bytes(uploads.page(upload, number).image), media_type='image/png')

    @app.get('/api/uploads/{upload}/pages/{number}/lines/{index}.png')
    def line_image(upload: str, number: int, index: int):
        page = uploads.page(upload, number)
        if not 0 <= index < len(page.lines):
            raise HTTPException(404, 'page %d has %d lines: no line %d' % (number, len(page.lines), index))
        return Response(png_bytes(crop_polygon(page.image, page.lines[index].polygon)), media_type='image/png')

    @app.post('/api/export')
    def export(body: dict):
        """Lines of a page read earlier, with their corrected text ({upload, page, lines: [{index, text}]}), as
        line crops and labels.txt in a new folder under out_dir (a table row's cells each a line of their own);
        the answer is that folder as a zip."""
        upload, number = str(body.get('upload')), body.get('page')
        if not isinstance(number, int):
            raise HTTPException(400, 'give the page number as page')
        page = uploads.page(upload, number)
        chosen = body.get('lines')
        if not isinstance(chosen, list) or not chosen:
            raise HTTPException(400, 'give the lines to export as lines: [{index, text}, ...]')
        rows = []
        for item in chosen:
            index, text = (item.get('index'), item.get('text')) if isinstance(item, dict) else (None, None)
            if not isinstance(index, int) or not 0 <= index < len(page.lines):
                raise HTTPException(400, 'line index %r is not a line of the page (0-%d)' % (index, len(page.lines) - 1))
            if not isinstance(text, str) or not text.strip() or '\t' in text or '\n' in text or '\r' in text:
                raise HTTPException(400, 'line %d: the text must be one line without tabs, not %r' % (index, text))
            line = page.lines[index]
            if not line.cells:
                rows.append(('line_%04d' % (index + 1), line.polygon, text.strip()))
                continue
            texts = text.split(CELL_MARK)  # a table row, its cells marked: each cell a training line of its own
            if len(texts) != len(line.cells):
                raise HTTPException(400, 'line %d is a table row of %d cells: keep %r between their texts'
                                    % (index, len(line.cells), CELL_MARK))
            rows += [('line_%04d_%d' % (index + 1, k), cell.polygon, t.strip())
                     for k, (cell, t) in enumerate(zip(line.cells, texts), 1) if t.strip()]
        name = '%s_%s_p%d' % (time.strftime('%Y%m%d-%H%M%S'), upload, number)
        folder = os.path.join(out_dir, name)
        partial = folder + '.partial'
        os.makedirs(os.path.join(partial, 'images'))
        try:
            labels = []
            for stem, polygon, text in rows:
                image = 'images/%s.png' % stem
                cv2.imwrite(os.path.join(partial, image), crop_polygon(page.image, polygon))
                labels.append('%s\t%s\n' % (image, text))
            with open(os.path.join(partial, 'labels.txt'), 'w', encoding='utf-8') as f:
                f.writelines(labels)
            os.rename(partial, folder)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as z:
            for root, _, files in os.walk(folder):
                for f in sorted(files):
                    full = os.path.join(root, f)
                    z.write(full, os.path.join(name, os.path.relpath(full, folder)))
        return Response(buffer.getvalue(), media_type='application/zip', headers={
            'Content-Disposition': 'attachment; filename="%s.zip"' % name, 'X-Export-Folder': name})

    return app
