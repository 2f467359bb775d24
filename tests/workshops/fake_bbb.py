"""A fake BigBlueButton server: checks every checksum as the real one does, keeps meetings in memory."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlsplit


class FakeBBB:
    def __init__(self, secret: str, algorithm: str = "sha256"):
        self.secret = secret
        self.algorithm = algorithm
        self.meetings: dict[str, dict] = {}
        self.calls: list[str] = []
        self.in_room: dict[str, list[tuple[str, str, str]]] = {}  # meetingID -> (userID, fullName, role)

    def _valid(self, call: str, query: str) -> bool:
        body, _, checksum = query.rpartition("&checksum=")
        expected = hashlib.new(self.algorithm, f"{call}{body}{self.secret}".encode()).hexdigest()
        return checksum == expected

    def __call__(self, url: str, timeout: float) -> tuple[int, bytes]:
        parts = urlsplit(url)
        call = parts.path.rstrip("/").rsplit("/", 1)[-1]
        self.calls.append(call)
        if not self._valid(call, parts.query):
            return 200, self._failed("checksumError", "You did not pass the checksum security check")
        params = dict(parse_qsl(parts.query))
        if call == "create":
            self.meetings.setdefault(params["meetingID"], params)
            return (
                200,
                b"<response><returncode>SUCCESS</returncode><meetingID>%s</meetingID></response>"
                % params["meetingID"].encode(),
            )
        if call == "getMeetingInfo":
            if params["meetingID"] not in self.meetings:
                return 200, self._failed("notFound", "A meeting with that ID does not exist")
            attendees = "".join(
                f"<attendee><userID>{u}</userID><fullName>{n}</fullName><role>{r}</role></attendee>"
                for u, n, r in self.in_room.get(params["meetingID"], [])
            )
            return (
                200,
                f"<response><returncode>SUCCESS</returncode><attendees>{attendees}</attendees></response>".encode(),
            )
        return 404, b""

    def join(self, url: str) -> dict:
        """What the browser does with a join URL: the server checks it, then the person is in the room."""
        parts = urlsplit(url)
        assert self._valid("join", parts.query), "join URL with a wrong checksum"
        params = dict(parse_qsl(parts.query))
        assert params["meetingID"] in self.meetings, "join before create"
        self.in_room.setdefault(params["meetingID"], []).append(
            (params["userID"], params["fullName"], params["role"])
        )
        return params

    @staticmethod
    def _failed(key: str, message: str) -> bytes:
        return (
            f"<response><returncode>FAILED</returncode><messageKey>{key}</messageKey><message>{message}</message></response>"
        ).encode()
