"""Reading and checking separation events from a file (CSV or JSON) or an API payload.

Everything here is pure: bytes or dicts in, `EventInput`s and `LineError`s out. Nothing is
written until every line is known to be good (see services.record_separations).

CSV: a header is required; `;` or `,` is detected; UTF-8 (with or without BOM) or
Windows-1252, as spreadsheets in French offices produce. JSON: a list of objects, or
{"events": [...]}.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from parcours.core.errors import Invalid, NotYours
from parcours.core.phones import is_mobile, normalize_french_phone

COLUMNS = (
    "external_id",
    "department",
    "file_number",
    "declared_on",
    "separated_on",
    "declarant_last_name",
    "declarant_first_name",
    "declarant_birth_date",
    "other_parent_last_name",
    "other_parent_first_name",
    "children_count",
    "youngest_child_birth_date",
    "shared_home",
    "violence_reported",
    "email",
    "phone",
    "address_line",
    "postal_code",
    "city",
)
REQUIRED = ("external_id", "department", "file_number", "declared_on", "declarant_last_name",
            "declarant_first_name", "children_count")  # fmt: skip
# Fields given all together or not at all (a postal code and its town), and fields that need others
# (a street line needs its postal code and town; a postal code and town without a street line is a
# partial address, kept as such). The checks below and the API's OpenAPI document (api.schema) are
# both built from these.
ALL_OR_NONE = (("postal_code", "city"),)
NEEDS = (("address_line", ("postal_code", "city")),)
TRUE_WORDS = {"oui", "true", "1", "vrai", "o", "yes"}
FALSE_WORDS = {"non", "false", "0", "faux", "n", "no", ""}
MAX_CHILDREN = 20
NAME_MAX = 80


def _compiled(lazy):
    return re.compile(lazy.pattern, lazy.flags)


class FileEmailValidator(EmailValidator):
    """Django's e-mail rule, for a whole file: its patterns compiled once (Django's lazy ones cost
    an indirection on every use), and each domain checked once, since a file repeats a few."""

    user_regex = _compiled(EmailValidator.user_regex)
    domain_regex = _compiled(EmailValidator.domain_regex)
    literal_regex = _compiled(EmailValidator.literal_regex)

    def __init__(self):
        super().__init__()
        self._domains: dict[str, bool] = {}

    def validate_domain_part(self, domain_part):
        valid = self._domains.get(domain_part)
        if valid is None:
            valid = self._domains[domain_part] = super().validate_domain_part(domain_part)
        return valid


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str
    unit: str = "ligne"
    # A declaration for another department than the declarer's: a refusal (403), not a mistake (400).
    not_yours: bool = False

    def __str__(self) -> str:
        return f"{self.unit} {self.line} : {self.message}"

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "message": str(self)}


@dataclass(slots=True)
class EventInput:
    """One checked separation event, ready to be written."""

    line: int
    external_id: str
    department: str
    file_number: str
    declared_on: date
    declarant_last_name: str
    declarant_first_name: str
    children_count: int
    separated_on: date | None = None
    declarant_birth_date: date | None = None
    other_parent_last_name: str = ""
    other_parent_first_name: str = ""
    youngest_child_birth_date: date | None = None
    shared_home: bool = False
    violence_reported: bool = False
    email: str = ""
    phone: str = ""
    phone_is_mobile: bool = False
    address_line: str = ""
    postal_code: str = ""
    city: str = ""
    is_allocataire: bool = True
    # Set by the demo data only (a year of past declarations); files and the API arrive now.
    received_at: datetime | None = None


@dataclass
class ParsedFile:
    rows: list[EventInput] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    total: int = 0

    def raise_for_errors(self) -> None:
        """Refuse the whole batch when a line is wrong: NotYours for another department's, else Invalid."""
        foreign = [e for e in self.errors if e.not_yours]
        if foreign:
            raise NotYours(
                "Déclaration d'un autre département que celui de votre Caf : rien n'a été écrit.",
                errors=foreign,
            )
        if self.errors:
            raise Invalid(f"{len(self.errors)} erreur(s) : rien n'a été écrit.", errors=self.errors)


class FileUnreadable(Exception):
    """The file cannot be read at all (encoding, JSON syntax, no header)."""


# --- values ---------------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The Caf's file number (numéro d'allocataire): seven digits.
_FILE_NUMBER = re.compile(r"^[0-9]{7}$")
ADULT_AGE = 18  # a declarant is an adult; a separation is not dated before the declarant's majority
MAX_AGE = 110
_EXTERNAL_ID = re.compile(r"^[\w.:/-]{1,64}$")
_POSTAL_CODE = re.compile(r"^[0-9]{5}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_NATIONAL = re.compile(r"^0\d{9}$")


def parse_date(value: str) -> date | None:
    """YYYY-MM-DD or DD/MM/YYYY; None when not a real date."""
    try:
        if _ISO.match(value):
            return date.fromisoformat(value)
        match = _DMY.match(value)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def parse_bool(value: str) -> bool | None:
    lowered = value.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    return None


# Validity and type of a French number depend only on its first digits (numbering plan blocks:
# "0" and five more, checked on the whole plan), so one `phonenumbers` parse per prefix is
# enough: a 100,000-line import then costs a few thousand parses instead of 100,000 (a test
# compares both ways on every prefix).
_PHONE_PREFIXES: dict[str, tuple[str, bool] | None] = {}


def normalize_phone(raw: str) -> tuple[str, bool] | None:
    """(E.164 number, is mobile) of a French number, overseas included; None when invalid."""
    digits = _PHONE_SEPARATORS.sub("", raw)
    if _NATIONAL.match(digits):
        key = digits[:6]
        if key not in _PHONE_PREFIXES:
            full = normalize_french_phone(digits)
            _PHONE_PREFIXES[key] = (full[: len(full) - 9], is_mobile(full)) if full else None
        known = _PHONE_PREFIXES[key]
        return (known[0] + digits[1:], known[1]) if known else None
    full = normalize_french_phone(raw)
    return (full, is_mobile(full)) if full else None


# --- one record -----------------------------------------------------------------------------


class RecordChecker:
    """Checks records one by one.

    `known_departments` are the departments whose Caf uses Parcours; `own_department`, when
    set, is the only one the sender may declare for (a Caf's agent or API token).
    """

    def __init__(
        self,
        known_departments: Iterable[str],
        *,
        today: date,
        own_department: str | None = None,
        unit: str = "ligne",
    ):
        self.known_departments = set(known_departments)
        self.own_department = own_department
        self.today = today
        self.unit = unit
        # A 100,000-line file repeats departments, towns, first names and dates: one object each.
        self._shared: dict[str, str] = {}
        self._dates: dict[str, date | None] = {}
        self._validate_email = FileEmailValidator()

    def share(self, value: str) -> str:
        return self._shared.setdefault(value, value)

    @staticmethod
    def _check_chronology(declared_on, separated_on, birth, youngest, error) -> None:
        """Dates that cannot be true together: the same rules for the form, a file and the API."""

        def years_after(day: date, years: int) -> date:
            try:
                return day.replace(year=day.year + years)
            except ValueError:  # 29 February
                return day.replace(year=day.year + years, day=28)

        if birth is not None and declared_on is not None:
            if declared_on < years_after(birth, ADULT_AGE):
                error(
                    "declarant_birth_date",
                    f"declarant_birth_date : née ou né le {birth:%d/%m/%Y}, la personne n'était pas majeure "
                    f"le {declared_on:%d/%m/%Y}, jour de la déclaration",
                )
            elif declared_on > years_after(birth, MAX_AGE):
                error(
                    "declarant_birth_date", f"declarant_birth_date : le {birth:%d/%m/%Y} n'est pas plausible"
                )
        if separated_on is not None and birth is not None and separated_on < years_after(birth, ADULT_AGE):
            error(
                "separated_on",
                f"separated_on : le {separated_on:%d/%m/%Y} précède la majorité du déclarant "
                f"({years_after(birth, ADULT_AGE):%d/%m/%Y})",
            )
        if youngest is not None and declared_on is not None and youngest > declared_on:
            error(
                "youngest_child_birth_date",
                f"youngest_child_birth_date : le {youngest:%d/%m/%Y} est après la déclaration "
                f"du {declared_on:%d/%m/%Y}",
            )
        if youngest is not None and birth is not None and youngest < years_after(birth, 12):
            error(
                "youngest_child_birth_date",
                f"youngest_child_birth_date : le {youngest:%d/%m/%Y} n'est pas plausible pour un parent "
                f"né le {birth:%d/%m/%Y}",
            )

    def check(self, line: int, raw: dict[str, str]) -> tuple[EventInput | None, list[LineError]]:
        errors: list[LineError] = []
        unit = self.unit

        def error(name: str, message: str) -> None:
            errors.append(LineError(line, name, message, unit))

        shared = self._shared.setdefault

        def text(name: str, max_length: int = NAME_MAX) -> str:
            value = raw.get(name) or ""
            if len(value) > max_length:
                error(name, f"{name} dépasse {max_length} caractères")
            return shared(value, value)

        for name in REQUIRED:
            if not raw.get(name):
                error(name, f"{name} est obligatoire")

        external_id = raw.get("external_id", "")
        if external_id and not _EXTERNAL_ID.match(external_id):
            error(
                "external_id",
                f"external_id « {external_id[:70]} » ne peut contenir que lettres, chiffres et - _ . : / (64 caractères au plus)",
            )
        department = raw.get("department", "")
        if department and department not in self.known_departments:
            error(
                "department",
                f"department « {department[:10]} » n'est le département d'aucune Caf utilisant Parcours",
            )
        elif department and self.own_department and department != self.own_department:
            errors.append(
                LineError(
                    line,
                    "department",
                    f"department « {department} » n'est pas le vôtre : vous ne déclarez que pour le {self.own_department}",
                    unit,
                    not_yours=True,
                )
            )
        file_number = raw.get("file_number", "").strip()
        if file_number and not _FILE_NUMBER.match(file_number):
            error(
                "file_number",
                f"file_number « {file_number[:30]} » n'est pas un numéro d'allocataire : 7 chiffres attendus",
            )

        def a_date(name: str, *, past: bool = True) -> date | None:
            value = raw.get(name, "")
            if not value:
                return None
            parsed = self._dates.get(value, False)
            if parsed is False:
                parsed = self._dates[value] = parse_date(value)
            if parsed is None:
                error(name, f"{name} « {value[:30]} » n'est pas une date valide (AAAA-MM-JJ ou JJ/MM/AAAA)")
                return None
            if past and parsed > self.today + timedelta(days=1):
                error(name, f"{name} : le {parsed:%d/%m/%Y} est dans le futur")
                return None
            if parsed.year < 1900:
                error(name, f"{name} « {value} » est trop ancienne")
                return None
            return parsed

        declared_on = a_date("declared_on")
        separated_on = a_date("separated_on")
        declarant_birth_date = a_date("declarant_birth_date")
        youngest = a_date("youngest_child_birth_date")
        self._check_chronology(declared_on, separated_on, declarant_birth_date, youngest, error)

        children_raw = raw.get("children_count", "")
        children_count = 0
        if children_raw:
            # ASCII digits, at most two: int() refuses other digits ("²") and strings over 4,300 digits.
            if (
                children_raw.isascii()
                and children_raw.isdigit()
                and len(children_raw) <= 2
                and int(children_raw) <= MAX_CHILDREN
            ):
                children_count = int(children_raw)
            else:
                error(
                    "children_count",
                    f"children_count « {children_raw[:20]} » doit être un nombre entier entre 0 et {MAX_CHILDREN}",
                )
        if youngest is not None and children_raw.isascii() and children_raw.isdigit() and children_count == 0:
            error(
                "youngest_child_birth_date",
                "youngest_child_birth_date est renseignée alors que children_count vaut 0",
            )

        flags = {}
        for name in ("shared_home", "violence_reported"):
            value = raw.get(name, "")
            parsed = parse_bool(value)
            if parsed is None:
                error(name, f"{name} « {value[:20]} » doit valoir oui, non, true, false, 1 ou 0")
            flags[name] = bool(parsed)

        last_name, first_name = text("declarant_last_name"), text("declarant_first_name")
        other_last, other_first = text("other_parent_last_name"), text("other_parent_first_name")
        if bool(other_last) != bool(other_first):
            missing = "other_parent_first_name" if other_last else "other_parent_last_name"
            error(missing, f"{missing} est obligatoire quand l'autre parent est nommé")

        email = raw.get("email", "")
        if email:
            try:
                self._validate_email(email)
            except ValidationError:
                error("email", f"email « {email[:80]} » n'est pas une adresse e-mail valide")
            if len(email) > 200:
                error("email", "email dépasse 200 caractères")
        phone, mobile = "", False
        phone_raw = raw.get("phone", "")
        if phone_raw:
            normalized = normalize_phone(phone_raw)
            if normalized is None:
                error("phone", f"phone « {phone_raw[:30]} » n'est pas un numéro de téléphone français valide")
            else:
                phone, mobile = normalized

        address_line, postal_code, city = (
            text("address_line", 200),
            raw.get("postal_code", ""),
            text("city", 100),
        )
        if postal_code and not _POSTAL_CODE.match(postal_code):
            error("postal_code", f"postal_code « {postal_code[:20]} » doit compter 5 chiffres")
        if address_line and not (postal_code and city):
            missing = "postal_code" if not postal_code else "city"
            error(missing, f"{missing} est obligatoire quand address_line est renseignée")
        elif postal_code and not city:
            error("city", "city est obligatoire quand postal_code est renseigné")
        elif city and not postal_code:
            error("postal_code", "postal_code est obligatoire quand city est renseignée")

        if errors:
            return None, errors
        return (
            EventInput(
                line=line,
                external_id=external_id,
                department=self.share(department),
                file_number=file_number,
                declared_on=declared_on,
                declarant_last_name=last_name,
                declarant_first_name=first_name,
                children_count=children_count,
                separated_on=separated_on,
                declarant_birth_date=declarant_birth_date,
                other_parent_last_name=other_last,
                other_parent_first_name=other_first,
                youngest_child_birth_date=youngest,
                shared_home=flags["shared_home"],
                violence_reported=flags["violence_reported"],
                email=email.lower(),
                phone=phone,
                phone_is_mobile=mobile,
                address_line=address_line,
                postal_code=self.share(postal_code),
                city=city,
            ),
            [],
        )


# --- files ----------------------------------------------------------------------------------


UNREADABLE = "Le fichier n'est ni en UTF-8 ni en Windows-1252 : enregistrez-le en « CSV UTF-8 »."


def encoding_of(data: bytes) -> str:
    """ "utf-8-sig" (UTF-8, BOM or not) or "cp1252", checked piecewise without decoding the whole file at once."""
    if b"\x00" in data:  # UTF-16 or a binary file: no text file of ours holds a NUL byte
        raise FileUnreadable(UNREADABLE)
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), 1 << 20):
                decoder.decode(data[start : start + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if encoding == "cp1252":
            _check_cp1252(data)
        return encoding
    raise FileUnreadable(UNREADABLE)


# Windows-1252 decodes nearly any bytes: a Shift-JIS file, or UTF-8 mixed with Windows-1252, would be
# read as gibberish. These characters never occur in French names and addresses, but fill such files.
_IMPLAUSIBLE = re.compile("[‚ƒ„†‡ˆ‰Š‹Ž˜š›žŸ¡¢¤¥¦¨ª¬¯±²³´µ¶·¸¹º¼½¾¿×÷ÞþÐð]")
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")
OTHER_ENCODING = (
    "Le fichier semble écrit dans un autre encodage (japonais Shift-JIS, chinois…) ou mélanger UTF-8 et "
    "Windows-1252 : ses lettres seraient mal lues. Enregistrez-le en « CSV UTF-8 » et déposez-le à nouveau."
)


def _check_cp1252(data: bytes) -> None:
    text = data.decode("cp1252")
    if _MOJIBAKE.search(text) or len(list(itertools.islice(_IMPLAUSIBLE.finditer(text), 3))) >= 3:
        raise FileUnreadable(OTHER_ENCODING)


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not), else Windows-1252; anything else is refused."""
    try:
        return data.decode(encoding_of(data))
    except UnicodeDecodeError as exc:
        # The incremental check lets a lone start of a BOM (b"\xef") through; the decoding does not.
        raise FileUnreadable(UNREADABLE) from exc


def detect_format(data: bytes, filename: str = "") -> str:
    name = filename.lower()
    if name.endswith(".json"):
        return "json"
    if name.endswith(".csv") or name.endswith(".txt"):
        return "csv"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if head in (b"[", b"{") else "csv"


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _check_names(names: list[str], unit: str, line: int) -> list[LineError]:
    errors = []
    for name in names:
        if name not in COLUMNS:
            errors.append(LineError(line, _display(name), f"colonne « {_display(name)} » inconnue", unit))
    for name in REQUIRED:
        if name not in names:
            errors.append(LineError(line, name, f"colonne obligatoire « {name} » absente", unit))
    return errors


def iter_csv(data: bytes) -> tuple[list[str], Iterator[tuple[int, dict | None, int]]]:
    """(header, iterator of (line number, record or None when its width is wrong, width)), read as a stream."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding_of(data), newline="")
    first_line = stream.readline()
    stream.seek(0)
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise FileUnreadable("Le fichier est vide : la ligne d'en-tête est obligatoire.") from exc
    except csv.Error as exc:
        raise FileUnreadable(_csv_problem(1, exc)) from exc
    header = [h.strip().lower() for h in header]

    def records():
        width = len(header)
        while True:
            started = reader.line_num + 1  # a quoted value may span several lines: name the first
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileUnreadable(_csv_problem(started, exc)) from exc
            if not values or (len(values) == 1 and not values[0].strip()):
                continue
            if len(values) != width:
                yield reader.line_num, None, len(values)
                continue
            yield reader.line_num, dict(zip(header, map(str.strip, values), strict=True)), width

    return header, records()


def _csv_problem(line: int, exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return (
            f"Ligne {line} : une valeur dépasse {csv.field_size_limit():,} caractères".replace(",", "\u202f")
            + " — un guillemet n'est sans doute pas refermé. Rien n'a été écrit."
        )
    return f"Ligne {line} : le CSV est mal formé ({exc}). Rien n'a été écrit."


PROGRESS_EVERY = 5000


def parse_file(
    data: bytes, filename: str, checker: RecordChecker, progress: Callable[[int], None] | None = None
) -> ParsedFile:
    fmt = detect_format(data, filename)
    if fmt == "json":
        payload = load_json(decode(data))
        return check_records(payload, checker, progress)
    checker.unit = "ligne"
    result = ParsedFile()
    header, records = iter_csv(data)
    result.errors.extend(_check_names(header, "ligne", 1))
    if result.errors:
        return result
    for line, record, width in records:
        result.total += 1
        if progress is not None and result.total % PROGRESS_EVERY == 0:
            progress(result.total)
        if record is None:
            result.errors.append(
                LineError(
                    line, "", f"{width} valeurs pour {len(header)} colonnes (séparateur ou guillemets ?)"
                )
            )
            continue
        event, errors = checker.check(line, record)
        if event is not None:
            result.rows.append(event)
        else:
            result.errors.extend(errors)
    _conflicting_duplicates(result, "ligne")
    return result


def load_json(text: str):
    """The JSON of a file or a request, refused in French when it cannot be read safely: too deep a
    nesting (the parser stops with RecursionError) or an integer longer than Python converts
    (ValueError beyond 4,300 digits) is a refusal, not a crash."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileUnreadable(f"JSON invalide (ligne {exc.lineno}, colonne {exc.colno}).") from exc
    except RecursionError as exc:
        raise FileUnreadable(
            "JSON trop imbriqué : des listes ou objets les uns dans les autres sans fin."
        ) from exc
    except ValueError as exc:
        raise FileUnreadable("JSON illisible : un nombre compte trop de chiffres.") from exc


def _display(name: str) -> str:
    """A field name as it may be shown back (a lone surrogate cannot be encoded in a response)."""
    return name[:40].encode("utf-8", "backslashreplace").decode("utf-8")


def _unencodable(value: str) -> bool:
    """A lone surrogate (no UTF-8 for it) or a NUL (PostgreSQL's text refuses it: a server error)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_records(
    payload, checker: RecordChecker, progress: Callable[[int], None] | None = None
) -> ParsedFile:
    """A JSON payload: a list of objects, {"events": [...]}, or one object (the API's single event)."""
    checker.unit = "élément"
    result = ParsedFile()
    if isinstance(payload, dict) and "events" in payload:
        payload = payload["events"]
    elif isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list):
        raise FileUnreadable('Le JSON attendu est une liste d\'objets, ou un objet {"events": [...]}.')
    for index, item in enumerate(payload, start=1):
        result.total += 1
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index)
        if not isinstance(item, dict):
            result.errors.append(LineError(index, "", "un objet JSON est attendu", "élément"))
            continue
        name_errors = [e for e in _check_names(list(item), "élément", index) if "inconnue" in e.message]
        if name_errors:
            result.errors.extend(name_errors)
            continue
        value_errors = _value_errors(index, item)
        if value_errors:
            result.errors.extend(value_errors)
            continue
        event, errors = checker.check(index, {k: _clean(v) for k, v in item.items()})
        if event is not None:
            result.rows.append(event)
        else:
            result.errors.extend(errors)
    _conflicting_duplicates(result, "élément")
    return result


def _conflicting_duplicates(result: ParsedFile, unit: str) -> None:
    """The same declaration (department, external_id) twice with different data: an error on both
    lines (which one is right?). Twice with the same data stays one declaration, as before."""
    first: dict[tuple[str, str], EventInput] = {}
    flagged: set[int] = set()
    errors = []
    for event in result.rows:
        key = (event.department, event.external_id)
        seen = first.setdefault(key, event)
        if seen is event or _same_declaration(seen, event):
            continue
        for this, other in ((seen, event), (event, seen)):
            if this is seen and this.line in flagged:
                continue  # already reported against an earlier duplicate
            errors.append(
                LineError(
                    this.line,
                    "external_id",
                    f"external_id « {event.external_id} » figure aussi {unit} {other.line} avec d'autres "
                    "données : corrigez l'une des deux",
                    unit,
                )
            )
            flagged.add(this.line)
    if errors:
        result.errors = sorted([*result.errors, *errors], key=lambda e: e.line)
        result.rows = [row for row in result.rows if row.line not in flagged]


_COMPARED = None


def _same_declaration(a: EventInput, b: EventInput) -> bool:
    global _COMPARED
    if _COMPARED is None:
        _COMPARED = [f for f in EventInput.__slots__ if f not in ("line", "received_at")]
    return all(getattr(a, f) == getattr(b, f) for f in _COMPARED)


def _value_errors(index: int, item: dict) -> list[LineError]:
    """Values no field can hold: a list or an object, or text with a lone UTF-16 surrogate ("\\ud800")."""
    errors = []
    for name, value in item.items():
        if isinstance(value, list | dict):
            errors.append(
                LineError(
                    index, name, f"{name} doit être une valeur simple, pas une liste ni un objet", "élément"
                )
            )
        elif isinstance(value, str) and _unencodable(value):
            errors.append(
                LineError(
                    index,
                    name,
                    f"{name} contient un caractère invalide (caractère nul ou moitié de paire UTF-16)",
                    "élément",
                )
            )
    return errors


def sample_csv() -> str:
    """The sample shown in the documentation and offered on the upload page."""
    return (
        ";".join(COLUMNS)
        + "\n"
        + "SEP-2026-000123;92;1234567;03/03/2026;15/02/2026;Martin;Camille;12/05/1988;Durand;Julien;2;"
        "04/09/2019;non;non;camille.martin@exemple.fr;06 12 34 56 78;12 rue des Lilas;92000;Nanterre\n"
        + "SEP-2026-000124;92;7654321;2026-03-04;;Payet;Nadia;;;;0;;oui;oui;;0692 12 34 56;;;\n"
    )


# --- RGPD art. 18: a declaration never changes a person whose processing is limited ----------------

LIMITED = (
    "traitement limité (RGPD art. 18) : {who} ne peut pas être modifié(e) tant que la limitation n'est "
    "pas levée ; retirez cette déclaration et transmettez-la de nouveau après la levée"
)


def limited_lines(events: Iterable[EventInput], *, unit: str = "ligne") -> list[LineError]:
    """The lines that name a parent on file whose processing is limited, unless already recorded.

    Read in one query (limited persons are few), then one for the lines that match; a declaration
    already imported changes nothing, so a file imported before the limitation can be sent again.
    """
    from parcours.households.models import Person, fold
    from parcours.pathways.models import SeparationEvent

    events = list(events)
    departments = {e.department for e in events}
    limited = set(
        Person.objects.filter(
            processing_limited=True, role=Person.Role.PARENT, household__department__code__in=departments
        ).values_list("household__department__code", "household__file_number", "search_name")
    )
    if not limited:
        return []
    files = {(code, file_number) for code, file_number, _ in limited}
    hits = []
    for event in events:
        if (event.department, event.file_number) not in files:
            continue  # a tuple lookup per line: the names are folded only in the files concerned
        for name, last, first, who in (
            ("declarant_last_name", event.declarant_last_name, event.declarant_first_name, "le déclarant"),
            ("other_parent_last_name", event.other_parent_last_name, event.other_parent_first_name,
             "l'autre parent"),
        ):  # fmt: skip
            if last and (event.department, event.file_number, fold(f"{last} {first}")) in limited:
                hits.append((event, LineError(event.line, name, LIMITED.format(who=who), unit)))
    recorded = set()
    for code in {e.department for e, _ in hits}:
        ids = [e.external_id for e, _ in hits if e.department == code]
        recorded |= {
            (code, x)
            for x in SeparationEvent.objects.filter(department__code=code, external_id__in=ids).values_list(
                "external_id", flat=True
            )
        }
    return [error for event, error in hits if (event.department, event.external_id) not in recorded]
