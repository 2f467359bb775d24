"""Proof documents: what is refused, and what is kept of what is accepted."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from parcours.protection.uploads import clean_proof
from tests.protection.factories import jpeg_with_gps, pdf_with_metadata, png_bytes, upload

# The start of a Windows executable (MZ header) and of an ELF binary.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200


@pytest.mark.parametrize("name", ["plainte.pdf", "photo.jpg", "photo.JPEG", "scan.png"])
@pytest.mark.parametrize("content", [EXE, ELF], ids=["exe", "elf"])
def test_a_renamed_executable_is_refused(name, content):
    with pytest.raises(ValidationError, match="ni un PDF, ni une image JPEG ou PNG"):
        clean_proof(upload(name, content))


@pytest.mark.parametrize(
    "name", ["virus.exe", "plainte.pdf.exe", "document.docx", "image.gif", "sans-extension"]
)
def test_other_extensions_are_refused(name):
    with pytest.raises(ValidationError, match="PDF, JPEG ou PNG"):
        clean_proof(upload(name, pdf_with_metadata()))


def test_an_oversize_file_is_refused(settings):
    settings.PARCOURS_PROOF_MAX_MB = 1
    big = pdf_with_metadata() + b"%" + b"0" * (1024 * 1024)
    with pytest.raises(ValidationError, match="trop volumineux"):
        clean_proof(upload("plainte.pdf", big))


def test_a_file_just_under_the_limit_is_accepted(settings):
    settings.PARCOURS_PROOF_MAX_MB = 1
    content = png_bytes()
    assert len(content) < 1024 * 1024
    assert clean_proof(upload("photo.png", content)).content_type == "image/png"


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="vide"):
        clean_proof(upload("photo.png", b""))


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("photo.jpg", png_bytes(), "une image PNG"),
        ("plainte.png", pdf_with_metadata(), "un PDF"),
        ("plainte.pdf", jpeg_with_gps(), "une image JPEG"),
    ],
)
def test_extension_and_content_must_agree(name, content, said):
    with pytest.raises(ValidationError, match=f"ne correspond pas à son contenu \\({said}\\)"):
        clean_proof(upload(name, content))


def test_a_jpeg_with_gps_data_comes_back_without_it():
    original = jpeg_with_gps()
    with Image.open(BytesIO(original)) as image:  # control: the fixture really carries the position
        assert image.getexif().get_ifd(0x8825)[2] == (48.0, 53.0, 30.0)
        assert image.getexif()[0x0110] == "Phone 12 Pro"
    clean = clean_proof(upload("photo.jpg", original))
    assert clean.content_type == "image/jpeg" and clean.extension == "jpg"
    with Image.open(BytesIO(clean.content)) as image:
        assert image.format == "JPEG"
        assert image.size == (64, 48)
        assert not image.getexif()
        assert "exif" not in image.info and "comment" not in image.info
    assert b"Phone 12 Pro" not in clean.content and b"PhoneMaker" not in clean.content
    assert b"Exif" not in clean.content and b"secret comment" not in clean.content


def test_the_exif_orientation_is_applied_before_it_is_removed():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise: the phone was held upright
    out = BytesIO()
    Image.new("RGB", (80, 40), (0, 0, 0)).save(out, format="JPEG", exif=exif.tobytes())
    clean = clean_proof(upload("photo.jpeg", out.getvalue()))
    with Image.open(BytesIO(clean.content)) as image:
        assert image.size == (40, 80)


def test_png_text_chunks_and_icc_profile_are_removed():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Nadia HOARAU")
    info.add_text("GPS", "48.8919 N 2.2017 E")
    original = png_bytes(pnginfo=info, icc_profile=b"fake-profile-bytes")
    assert b"Nadia HOARAU" in original
    clean = clean_proof(upload("scan.png", original))
    assert b"Nadia HOARAU" not in clean.content and b"48.8919" not in clean.content
    assert b"fake-profile" not in clean.content
    with Image.open(BytesIO(clean.content)) as image:
        assert image.format == "PNG" and image.size == (40, 30) and not image.text


def test_a_pdf_loses_its_document_information_and_keeps_its_pages():
    from pypdf import PdfReader

    original = pdf_with_metadata()
    assert b"Nadia HOARAU" in original
    clean = clean_proof(upload("plainte.PDF", original))
    assert clean.content_type == "application/pdf" and clean.extension == "pdf"
    assert b"Nadia HOARAU" not in clean.content and b"GRONDIN" not in clean.content
    assert b"gendarmerie" not in clean.content
    reader = PdfReader(BytesIO(clean.content))
    assert len(reader.pages) == 1
    assert not reader.metadata
    assert reader.xmp_metadata is None


def test_a_pdf_xmp_metadata_stream_is_removed():
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    xmp = StreamObject()
    xmp.set_data(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Nadia HOARAU</dc:creator></x:xmpmeta>')
    writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    out = BytesIO()
    writer.write(out)
    assert b"Nadia HOARAU" in out.getvalue()
    clean = clean_proof(upload("plainte.pdf", out.getvalue()))
    assert b"Nadia HOARAU" not in clean.content


def test_a_truncated_pdf_or_image_is_refused():
    with pytest.raises(ValidationError, match="illisible"):
        clean_proof(upload("plainte.pdf", b"%PDF-1.7\n garbage without objects"))
    with pytest.raises(ValidationError, match="illisible"):
        clean_proof(upload("photo.png", png_bytes()[:40]))


def test_a_password_protected_pdf_is_refused_with_a_way_out():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = BytesIO()
    writer.write(out)
    with pytest.raises(ValidationError, match="mot de passe"):
        clean_proof(upload("plainte.pdf", out.getvalue()))
