"""Proof documents for the AUU: what is accepted, and what is kept of it.

A proof (an ordonnance de protection, a récépissé de plainte…) arrives as a PDF or a photo taken with a
phone. Before anything is stored:
- the extension must be .pdf, .jpg/.jpeg or .png, the size under PARCOURS_PROOF_MAX_MB;
- the content must really be that format (magic bytes), and agree with the extension: a renamed
  executable or a PDF named .jpg is refused;
- images are decoded and re-encoded by Pillow from their pixels only: EXIF (GPS position, phone model,
  date), XMP, ICC profile and comments are gone; the EXIF orientation is applied first so that the page
  stays upright;
- PDFs are rewritten page by page with pypdf, without the document information dictionary (author,
  producer, dates), the XMP metadata (document and pages) and every active content: the document's
  catalogue is not copied (auto-run action, JavaScript name tree, embedded files, form scripts), and
  on each page every annotation loses its actions except plain links (a web address, a page of the
  document) — JavaScript, launch, submit-form, import-data, remote go-to, rendition… — with their
  chained /Next actions and additional actions (/AA) on the annotation and its form-field parents;
  file-attachment, sound, movie, screen and rich-media annotations are dropped. The pages' content
  itself (including images embedded in the PDF) is kept as it is.
- Decompression bombs: an image over MAX_PIXELS decoded pixels is refused from its header, before its
  pixels are decoded; a PDF over MAX_PDF_PAGES pages is refused before its pages are read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {"pdf": PDF, "jpg": JPEG, "jpeg": JPEG, "png": PNG}
LABELS = {PDF: "un PDF", JPEG: "une image JPEG", PNG: "une image PNG"}
# Caps below what a web worker can afford (bench/uploads.py measures time and memory at the cap): a
# 24-megapixel photo is decoded in about 72 MB, and a phone's ordinary photo is 12 megapixels.
MAX_PIXELS = 24_000_000
MAX_PDF_PAGES = 200


@dataclass(frozen=True)
class CleanProof:
    content: bytes
    content_type: str
    extension: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def max_bytes() -> int:
    return int(settings.PARCOURS_PROOF_MAX_MB * 1024 * 1024)


def sniff(head: bytes) -> str | None:
    """The format the first bytes announce, whatever the file's name says."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _read(upload, limit: int) -> bytes:
    if hasattr(upload, "chunks"):
        upload.seek(0)
        data = bytearray()
        for chunk in upload.chunks():
            data += chunk
            if len(data) > limit:
                break
        return bytes(data)
    return upload.read(limit + 1)


def clean_proof(upload) -> CleanProof:
    """Check an uploaded file (a Django UploadedFile) and return its cleaned content, or raise a
    ValidationError in French that says what is wrong."""
    name = (getattr(upload, "name", "") or "").strip()
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS:
        raise ValidationError("Format refusé : le justificatif doit être un fichier PDF, JPEG ou PNG.")
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            f"Fichier trop volumineux ({size / 1024 / 1024:.1f} Mo) : {settings.PARCOURS_PROOF_MAX_MB} Mo au plus."
        )
    data = _read(upload, limit)
    if len(data) > limit:
        raise ValidationError(f"Fichier trop volumineux : {settings.PARCOURS_PROOF_MAX_MB} Mo au plus.")
    if not data:
        raise ValidationError("Le fichier est vide.")
    detected = sniff(data[:16])
    if detected is None:
        raise ValidationError(
            "Le contenu du fichier n'est ni un PDF, ni une image JPEG ou PNG (fichier renommé ?) : il est refusé."
        )
    expected = EXTENSIONS[extension]
    if detected != expected:
        raise ValidationError(
            f"L'extension du fichier (.{extension}) ne correspond pas à son contenu ({LABELS[detected]}) : "
            "il est refusé."
        )
    if detected == PDF:
        return CleanProof(_clean_pdf(data), PDF, "pdf")
    return CleanProof(_clean_image(data, detected), detected, "png" if detected == PNG else "jpg")


def _clean_image(data: bytes, content_type: str) -> bytes:
    from PIL import Image, ImageOps, UnidentifiedImageError

    unreadable = ValidationError("L'image est illisible ou endommagée : elle est refusée.")
    try:
        with Image.open(BytesIO(data)) as probe:
            probe.verify()
        with Image.open(BytesIO(data)) as image:
            if (image.format == "PNG") != (content_type == PNG):
                raise unreadable
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(
                    f"Image trop grande ({image.width} × {image.height} pixels, plus de "
                    f"{MAX_PIXELS // 1_000_000} millions) : réduisez-la ou envoyez une photo ordinaire."
                )
            image.load()
            # In place, and no copy after: a large photo is held once in memory, not three times.
            ImageOps.exif_transpose(image, in_place=True)
            # The pixels alone go out: nothing of the original's metadata (info, EXIF, ICC, comments).
            image.info = {}
            out = BytesIO()
            if content_type == JPEG:
                clean = image if image.mode in ("RGB", "L") else image.convert("RGB")
                # No `optimize`: its extra passes cost seconds on large images.
                clean.save(out, format="JPEG", quality=90, exif=b"")
            else:
                image.save(out, format="PNG", compress_level=6)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise unreadable from exc
    return out.getvalue()


_PAGE_KEYS_TO_DROP = ("/Metadata", "/PieceInfo", "/AA")
# Annotations that carry or play content of their own: dropped whole.
_ACTIVE_ANNOTATIONS = {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
# The only actions kept, on links: a web address and a page of this document.
_SAFE_ACTIONS = {"/URI", "/GoTo"}


def _safe_action(action) -> bool:
    action = action.get_object() if action is not None else None
    if not hasattr(action, "get"):
        return False
    kind = action.get("/S")
    if kind not in _SAFE_ACTIONS:
        return False
    if kind == "/URI":
        uri = str(action.get("/URI", ""))
        if not uri.lower().startswith(("http://", "https://", "mailto:")):
            return False
    return "/Next" not in action


def _defuse_annotation(annotation) -> bool:
    """Strip an annotation's actions; False when the whole annotation must go."""
    if annotation.get("/Subtype") in _ACTIVE_ANNOTATIONS:
        return False
    node, seen = annotation, 0
    while node is not None and seen < 32:  # the annotation, then its form-field parents
        for key in ("/AA", "/JS"):
            if key in node:
                del node[key]
        if "/A" in node and not _safe_action(node["/A"]):
            del node["/A"]
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
        seen += 1
    return True


def _defuse_page(page) -> None:
    from pypdf.generic import ArrayObject, NameObject

    for key in _PAGE_KEYS_TO_DROP:
        if key in page:
            del page[key]
    annotations = page.get("/Annots")
    if annotations is None:
        return
    kept = ArrayObject()
    for reference in annotations.get_object():
        annotation = reference.get_object()
        if hasattr(annotation, "get") and _defuse_annotation(annotation):
            kept.append(reference)
    page[NameObject("/Annots")] = kept


def _clean_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                "Ce PDF est protégé par un mot de passe : demandez une copie sans mot de passe ou une photo du document."
            )
        declared = int(reader.trailer["/Root"]["/Pages"].get("/Count", 0))
        if declared > MAX_PDF_PAGES or len(reader.pages) > MAX_PDF_PAGES:
            raise ValidationError(
                f"Le PDF compte plus de {MAX_PDF_PAGES} pages : envoyez seulement les pages utiles."
            )
        writer = PdfWriter()  # a new catalogue: no /OpenAction, /Names (JavaScript, files), /AcroForm
        for page in reader.pages:
            # Defused before the copy: the writer then copies only what the page still refers to.
            _defuse_page(page)
            writer.add_page(page)
        if not writer.pages:
            raise ValidationError("Le PDF ne contient aucune page.")
        writer.metadata = None
        writer.xmp_metadata = None
        out = BytesIO()
        writer.write(out)
    except ValidationError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise ValidationError("Le PDF est illisible ou endommagé : il est refusé.") from exc
    return out.getvalue()
