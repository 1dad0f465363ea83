"""The stand-in's file uploads: Slack's two-step upload (`files.getUploadURLExternal`, a POST of the
bytes to the URL it gives, then `files.completeUploadExternal`), as slack_sdk's `files_upload_v2` does it.

`FileStore.handle` is called first for every request the stand-in gets and answers those it owns.
Uploaded bytes are kept by file id (`uploads`), and each step is recorded as a call like any other
method ("files.upload" for the bytes, with their length, never the bytes).
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from handlers.slack.standin.webapi import SlackStandIn

METHODS = ("files.getUploadURLExternal", "files.completeUploadExternal")


@dataclass
class FileStore:
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> the bytes uploaded
    names: dict[str, str] = field(default_factory=dict)  # file id -> filename

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def handle(self, standin: SlackStandIn, request: BaseHTTPRequestHandler) -> bool:
        """Answer `request` if it is a file upload step; False leaves it to the stand-in."""
        from handlers.slack.standin.webapi import Call

        path = urlsplit(request.path).path
        method = path.removeprefix("/api/")
        if not (path.startswith("/upload/") or method in METHODS):
            return False
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        if path.startswith("/upload/"):
            file_id = path.removeprefix("/upload/")
            with self._lock:
                known = file_id in self.names
                if known:
                    self.uploads[file_id] = raw
            with standin._lock:
                standin.calls.append(Call("files.upload", {"file_id": file_id, "length": len(raw)}))
            request.send_response(200 if known else 404)
            request.send_header("Content-Type", "text/plain")
            request.end_headers()
            request.wfile.write(b"OK - " + str(len(raw)).encode() if known else b"not found")
            return True
        text = raw.decode("utf-8")
        args: dict[str, Any] = json.loads(text) if request.headers.get("Content-Type", "").startswith(
            "application/json") and text else dict(parse_qsl(text))
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ") or args.pop("token", None)
        with standin._lock:
            standin.calls.append(Call(method, args, token))
            queued = standin._failures.get(method)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            standin._reply(request, failure.status if failure.status != 200 else 200,
                           {"ok": False, "error": failure.error or "internal_error"})
            return True
        standin._reply(request, 200, self._answer(standin, method, args))
        return True

    def _answer(self, standin: SlackStandIn, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):09d}"
            with self._lock:
                self.names[file_id] = str(args.get("filename", ""))
            return {"ok": True, "upload_url": f"{standin.base_url}upload/{file_id}", "file_id": file_id}
        files = args.get("files")
        listed = json.loads(files) if isinstance(files, str) else (files or [])
        with self._lock:
            missing = [f.get("id") for f in listed if f.get("id") not in self.uploads]
            done = [{"id": f["id"], "title": f.get("title") or self.names.get(f["id"], ""),
                     "name": self.names.get(f["id"], ""), "size": len(self.uploads[f["id"]])}
                    for f in listed if f.get("id") in self.uploads]
        if missing or not listed:
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "files": done}
