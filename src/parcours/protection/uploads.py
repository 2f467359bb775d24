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
  producer, dates), the XMP metadata (document and pages) and the automatic actions. The pages'
  content itself (including images embedded in the PDF) is kept as it is.
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
MAX_PIXELS = 60_000_000  # a 60-megapixel photo is already far beyond any phone's camera


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
                raise ValidationError("Image trop grande (plus de 60 millions de pixels) : elle est refusée.")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise unreadable from exc
    # A fresh image from the pixels alone: nothing of the original's metadata (info, EXIF, ICC) follows.
    clean = upright.copy()
    clean.info = {}
    out = BytesIO()
    if content_type == JPEG:
        if clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        clean.save(out, format="JPEG", quality=90, optimize=True)
    else:
        clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


_PAGE_KEYS_TO_DROP = ("/Metadata", "/PieceInfo", "/AA")


def _clean_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                "Ce PDF est protégé par un mot de passe : demandez une copie sans mot de passe ou une photo du document."
            )
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        if not writer.pages:
            raise ValidationError("Le PDF ne contient aucune page.")
        for page in writer.pages:
            for key in _PAGE_KEYS_TO_DROP:
                if key in page:
                    del page[key]
        writer.metadata = None
        writer.xmp_metadata = None
        out = BytesIO()
        writer.write(out)
    except ValidationError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise ValidationError("Le PDF est illisible ou endommagé : il est refusé.") from exc
    return out.getvalue()
