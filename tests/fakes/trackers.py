"""Loopback fakes of the GitHub Issues and contents APIs and the Jira REST API that record
what they receive.

Small on purpose: the endpoints the bot calls, the auth each checks, the answers each gives
(shapes from GitHub's and Atlassian's API references), and failure injection.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Reply = tuple[int, Any]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeApi:
    """A ThreadingHTTPServer on 127.0.0.1 routing to `route(method, path, query, body)`."""

    requests: list[Recorded] = field(default_factory=list)
    # (method or None for any, reply): the next matching request gets the reply instead.
    failures: deque[tuple[str | None, Reply]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_PUT(self) -> None:
                self._serve()

            def _serve(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                record = Recorded(self.command, unquote(parts.path), parse_qs(parts.query),
                                  dict(self.headers.items()), json.loads(raw) if raw else None)
                status, body = fake._handle(record)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, status: int, body: Any, method: str | None = None) -> None:
        with self._lock:
            self.failures.append((method, (status, body)))

    def posts(self, path_pattern: str = "") -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests
                    if r.method == "POST" and re.search(path_pattern, r.path)]

    def _handle(self, record: Recorded) -> Reply:
        with self._lock:
            self.requests.append(record)
            if self.failures and self.failures[0][0] in (None, record.method):
                return self.failures.popleft()[1]
            return self.route(record)

    def route(self, record: Recorded) -> Reply:
        raise NotImplementedError


def blob_sha(content: bytes) -> str:
    """Git's blob id, which is what the contents API calls a file's sha."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


class FakeGitHub(FakeApi):
    TOKEN = "ghp_test_token"
    DEFAULT_BRANCH = "main"

    def __init__(self) -> None:
        super().__init__()
        self.issues: dict[tuple[str, int], dict[str, Any]] = {}
        # (repo, branch, path) -> file bytes; commits in order as (repo, branch, path, message)
        self.files: dict[tuple[str, str, str], bytes] = {}
        self.commits: list[tuple[str, str, str, str]] = []

    def route(self, record: Recorded) -> Reply:
        if record.headers.get("Authorization") != f"Bearer {self.TOKEN}":
            return 401, {"message": "Bad credentials",
                         "documentation_url": "https://docs.github.com/rest"}
        contents = re.fullmatch(r"/repos/([^/]+/[^/]+)/contents/(.+)", record.path)
        if contents:
            return self._contents(record, contents.group(1).lower(), contents.group(2))
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues(?:/(\d+))?", record.path)
        if not match:
            return 404, {"message": "Not Found"}
        repo, number = match.group(1), match.group(2)
        if record.method == "POST" and number is None:
            n = len(self.issues) + 1
            issue = {
                "id": 1000 + n, "number": n, "state": "open", "state_reason": None,
                "title": record.body["title"], "body": record.body.get("body"),
                "labels": [{"name": name} for name in record.body.get("labels", [])],
                "assignees": [{"login": a} for a in record.body.get("assignees", [])],
                "html_url": f"https://github.com/{repo}/issues/{n}",
                "url": f"{self.url}/repos/{repo}/issues/{n}",
            }
            self.issues[(repo.lower(), n)] = issue
            return 201, issue
        if record.method == "GET" and number is not None:
            found = self.issues.get((repo.lower(), int(number)))
            return (200, found) if found else (404, {"message": "Not Found"})
        return 404, {"message": "Not Found"}

    def _contents(self, record: Recorded, repo: str, path: str) -> Reply:
        """GET and PUT /repos/{repo}/contents/{path}, with GitHub's sha rules."""
        if record.method == "GET":
            branch = record.query.get("ref", [self.DEFAULT_BRANCH])[0]
            data = self.files.get((repo, branch, path))
            if data is None:
                return 404, {"message": "Not Found"}
            return 200, self._entry(repo, branch, path, data) | {
                "type": "file", "encoding": "base64",
                "content": base64.encodebytes(data).decode("ascii"),
            }
        if record.method != "PUT":
            return 404, {"message": "Not Found"}
        body = record.body or {}
        branch = body.get("branch") or self.DEFAULT_BRANCH
        if not body.get("message") or "content" not in body:
            return 422, {"message": "Invalid request.\n\n\"message\", \"content\" are required."}
        existing = self.files.get((repo, branch, path))
        if existing is not None and "sha" not in body:
            return 422, {"message": "Invalid request.\n\n\"sha\" wasn't supplied."}
        if existing is not None and body["sha"] != blob_sha(existing):
            return 409, {"message": f"{path} does not match {body['sha']}"}
        data = base64.b64decode(body["content"])
        self.files[(repo, branch, path)] = data
        self.commits.append((repo, branch, path, body["message"]))
        commit = hashlib.sha1(f"{len(self.commits)}".encode()).hexdigest()
        return (201 if existing is None else 200), {
            "content": self._entry(repo, branch, path, data),
            "commit": {"sha": commit,
                       "html_url": f"https://github.com/{repo}/commit/{commit}"},
        }

    def _entry(self, repo: str, branch: str, path: str, data: bytes) -> dict[str, Any]:
        return {"name": path.rsplit("/", 1)[-1], "path": path, "sha": blob_sha(data),
                "size": len(data), "html_url": f"https://github.com/{repo}/blob/{branch}/{path}"}

    def put_file(self, repo: str, path: str, text: str, branch: str = DEFAULT_BRANCH) -> None:
        """Someone else's commit, straight into the fake repository."""
        self.files[(repo.lower(), branch, path)] = text.encode("utf-8")

    def file(self, repo: str, path: str, branch: str = DEFAULT_BRANCH) -> str | None:
        data = self.files.get((repo.lower(), branch, path))
        return None if data is None else data.decode("utf-8")

    def close(self, repo: str, number: int, reason: str = "completed") -> dict[str, Any]:
        issue = self.issues[(repo.lower(), number)]
        issue.update(state="closed", state_reason=reason)
        return issue


class FakeJira(FakeApi):
    EMAIL, TOKEN = "bot@example.com", "jira-api-token"

    def __init__(self, users: dict[str, str] | None = None,
                 unsettable: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.users = users or {}  # email -> accountId
        self.unsettable = unsettable  # fields this project's create screen lacks
        self.issues: dict[str, dict[str, Any]] = {}

    def route(self, record: Recorded) -> Reply:
        expected = base64.b64encode(f"{self.EMAIL}:{self.TOKEN}".encode()).decode()
        if record.headers.get("Authorization") != f"Basic {expected}":
            return 401, {"errorMessages": ["You are not authenticated."], "errors": {}}
        if record.method == "POST" and record.path == "/rest/api/2/issue":
            return self._create(record.body["fields"])
        if record.method == "GET" and record.path == "/rest/api/2/user/search":
            email = record.query.get("query", [""])[0].lower()
            account = self.users.get(email)
            return 200, ([{"accountId": account, "displayName": email}] if account else [])
        match = re.fullmatch(r"/rest/api/2/issue/([A-Z]+-\d+)", record.path)
        if record.method == "GET" and match and match.group(1) in self.issues:
            return 200, self.issues[match.group(1)]
        return 404, {"errorMessages": ["Issue does not exist"], "errors": {}}

    def _create(self, fields: dict[str, Any]) -> Reply:
        bad = {name: f"Field '{name}' cannot be set. It is not on the appropriate screen, or "
                     "unknown." for name in fields if name in self.unsettable}
        if bad:
            return 400, {"errorMessages": [], "errors": bad}
        key = f"{fields['project']['key']}-{len(self.issues) + 1}"
        self.issues[key] = {
            "id": str(10000 + len(self.issues)), "key": key,
            "fields": {**fields, "status": {"name": "To Do", "statusCategory": {"key": "new"}},
                       "resolution": None},
        }
        return 201, {"id": self.issues[key]["id"], "key": key,
                     "self": f"{self.url}/rest/api/2/issue/{key}"}

    def close(self, key: str, resolution: str = "Done") -> dict[str, Any]:
        issue = self.issues[key]
        issue["fields"].update(
            status={"name": "Done", "statusCategory": {"key": "done", "name": "Done"}},
            resolution={"name": resolution},
        )
        return issue
