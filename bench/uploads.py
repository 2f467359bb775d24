"""Proof uploads at the caps: time and peak memory of cleaning the largest accepted image and PDF.

    .venv/bin/python bench/uploads.py

Each case runs in a fresh process (peak RSS is per process). Prints JSON. The issue's target: a web
worker stays under 300 MB whatever is uploaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

CASE = r"""
import os, resource, sys, time, json
from io import BytesIO
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
import django; django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from parcours.protection import uploads
kind, source = sys.argv[1], sys.argv[2]
if True:
    data = open(source, "rb").read()
    name = "preuve.pdf" if kind.startswith("pdf") else ("photo.jpg" if kind.startswith("jpeg") else "photo.png")
elif kind == "png-at-cap":
    from PIL import Image
    side = int(uploads.MAX_PIXELS ** 0.5)
    out = BytesIO(); Image.radial_gradient("L").resize((side, side)).convert("RGB").save(out, format="PNG")
    data, name = out.getvalue(), "photo.png"
elif kind == "png-bomb-7700":
    from PIL import Image
    out = BytesIO(); Image.new("1", (7700, 7700)).save(out, format="PNG")
    data, name = out.getvalue(), "photo.png"
elif kind == "jpeg-at-cap":
    from PIL import Image
    side = int(uploads.MAX_PIXELS ** 0.5)
    out = BytesIO(); Image.radial_gradient("L").resize((side, side)).convert("RGB").save(out, format="JPEG", quality=80)
    data, name = out.getvalue(), "photo.jpg"
else:
    from pypdf import PdfWriter
    writer = PdfWriter()
    for _ in range(uploads.MAX_PDF_PAGES if kind == "pdf-at-cap" else 20000):
        writer.add_blank_page(width=595, height=842)
    out = BytesIO(); writer.write(out)
    data, name = out.getvalue(), "preuve.pdf"
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    uploads.clean_proof(SimpleUploadedFile(name, data)); outcome = "accepted"
except Exception as exc:
    outcome = "refused: " + str(getattr(exc, "messages", [exc])[0])[:80]
print(json.dumps({"case": kind, "bytes": len(data), "seconds": round(time.perf_counter() - started, 2),
    "peak_rss_mb_before": before // 1024, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "outcome": outcome}))
"""


MAKE = (
    CASE.split("before = ")[0].replace(
        "kind, source = sys.argv[1], sys.argv[2]\nif True:", "kind = sys.argv[1]\nif False:"
    )
    + "open(sys.argv[2], 'wb').write(data)\n"
)


def main() -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    results = []
    for kind in ("png-at-cap", "jpeg-at-cap", "png-bomb-7700", "pdf-at-cap", "pdf-20000-pages"):
        source = os.path.join(tempfile.mkdtemp(), "input")
        subprocess.run([sys.executable, "-c", MAKE, kind, source], cwd=root, check=True)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CASE, kind, source], cwd=root, capture_output=True, text=True, check=True
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        results[-1]["process_seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps({"uploads": results}, indent=2))


if __name__ == "__main__":
    main()
