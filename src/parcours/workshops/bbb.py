"""BigBlueButton API client: create, join and getMeetingInfo, signed with the documented checksum.

Every call is `<api>/<call>?<query>&checksum=<hash(call + query + secret)>`, the hash being SHA-1
or, from BigBlueButton 2.6, SHA-256/384/512 (the department's server setting). The HTTP
transport is injectable so that tests talk to a fake server and never to the network.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET  # noqa: S405 - the XML comes from the department's own server
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

ALGORITHMS = {"sha1", "sha256", "sha384", "sha512"}


class BBBError(Exception):
    """The server refused the call or could not be reached (message in French for staff)."""


def checksum(call: str, query: str, secret: str, algorithm: str = "sha1") -> str:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithme inconnu : {algorithm}")
    return hashlib.new(algorithm, f"{call}{query}{secret}".encode()).hexdigest()


def signed_url(api_url: str, call: str, params: dict, secret: str, algorithm: str = "sha1") -> str:
    query = urlencode([(k, v) for k, v in params.items() if v is not None and v != ""])
    sig = checksum(call, query, secret, algorithm)
    base = api_url if api_url.endswith("/") else f"{api_url}/"
    return f"{base}{call}?{query}&checksum={sig}" if query else f"{base}{call}?checksum={sig}"


def _requests_transport(url: str, timeout: float) -> tuple[int, bytes]:
    import requests

    response = requests.get(url, timeout=timeout)
    return response.status_code, response.content


@dataclass
class Attendee:
    user_id: str
    full_name: str
    role: str


class Client:
    def __init__(
        self,
        api_url: str,
        secret: str,
        algorithm: str = "sha1",
        *,
        transport: Callable[[str, float], tuple[int, bytes]] | None = None,
        timeout: float = 5.0,
    ):
        self.api_url = api_url
        self.secret = secret
        self.algorithm = algorithm
        self.transport = transport or _requests_transport
        self.timeout = timeout

    def url(self, call: str, params: dict) -> str:
        return signed_url(self.api_url, call, params, self.secret, self.algorithm)

    def _call(self, call: str, params: dict) -> ET.Element:
        try:
            status, body = self.transport(self.url(call, params), self.timeout)
        except Exception as exc:  # the network or the server failed: the caller gets a clear error
            raise BBBError("Le serveur de visioconférence ne répond pas. Réessayez plus tard.") from exc
        if status != 200:
            raise BBBError(f"Le serveur de visioconférence a répondu par une erreur ({status}).")
        try:
            root = ET.fromstring(body)  # noqa: S314
        except ET.ParseError as exc:
            raise BBBError("Réponse illisible du serveur de visioconférence.") from exc
        if root.findtext("returncode") != "SUCCESS":
            key = root.findtext("messageKey") or "erreur"
            raise BBBError(f"Le serveur de visioconférence a refusé la demande ({key}).")
        return root

    def create(
        self,
        *,
        meeting_id: str,
        name: str,
        attendee_pw: str,
        moderator_pw: str,
        duration: int,
        welcome: str = "",
    ) -> None:
        self._call(
            "create",
            {
                "name": name,
                "meetingID": meeting_id,
                "attendeePW": attendee_pw,
                "moderatorPW": moderator_pw,
                "welcome": welcome,
                "duration": str(duration),
                "record": "false",
            },
        )

    def join_url(
        self, *, meeting_id: str, full_name: str, user_id: str, moderator: bool, password: str
    ) -> str:
        """The signed join URL (the browser follows it; the server is not called here)."""
        return self.url(
            "join",
            {
                "fullName": full_name,
                "meetingID": meeting_id,
                "role": "MODERATOR" if moderator else "VIEWER",
                "password": password,
                "userID": user_id,
                "redirect": "true",
            },
        )

    def attendees(self, *, meeting_id: str) -> list[Attendee]:
        """Who is in the room now (getMeetingInfo); an ended or unknown meeting has nobody."""
        try:
            root = self._call("getMeetingInfo", {"meetingID": meeting_id})
        except BBBError as error:
            if "notFound" in str(error):
                return []
            raise
        return [
            Attendee(
                user_id=node.findtext("userID") or "",
                full_name=node.findtext("fullName") or "",
                role=node.findtext("role") or "",
            )
            for node in root.iter("attendee")
        ]
