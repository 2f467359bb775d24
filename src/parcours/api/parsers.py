"""The API's JSON parser: the import's own reader, so that a body refused there is refused here alike.

DRF's parser lets RecursionError (JSON nested thousands deep) through as a server error; this one
answers 400 with the French reason for it, for a too-long integer, and for a body that is not UTF-8.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from parcours.pathways import imports


class JSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("Le corps de la requête n'est pas en UTF-8.") from exc
        try:
            return imports.load_json(text)
        except imports.FileUnreadable as exc:
            raise ParseError(str(exc)) from exc
