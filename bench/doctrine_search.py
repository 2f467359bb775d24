"""Doctrine search benchmark: `python bench/doctrine_search.py [--practices 10000] [--database-url postgres://…] [--reuse]`.

Builds a fresh database with N practice sheets across the five pilot Cafs (most published, with
partners, funding rows, indicators and themes), then times French searches with and without
facets, as a staff member of another department would run them:

- `search`: the selector alone (matching, ranking, total, the seven facet counts, extracts);
- `page`: the whole page GET /gestion/doctrine/?q=… through Django (middleware, policy, template).

Prints JSON with p50/p95/max in milliseconds. The goal (issue 20): p95 ≤ 100 ms on both databases.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from run import ROOT, bench_env, fresh_database, log, parcours, setup_django

WORDS = (
    "violences conjugales", "médiation familiale", "contact sous 72 h", "permanence juridique", "CIDFF",
    "France Victimes", "hébergement d'urgence", "aide universelle d'urgence", "sécurisation du dossier",
    "coordonnées bancaires", "webinaire", "Parents après la séparation", "référent", "formation des agents",
    "visite à domicile", "pension alimentaire", "intermédiation financière", "emprise", "mise à l'abri",
    "orientation croisée", "convention", "groupe de parole", "repérage", "accueil téléphonique",
)  # fmt: skip
QUERIES = [
    {"q": "violence"},
    {"q": "mediation familiale"},
    {"q": "reunion"},
    {"q": "hebergement urgence"},
    {"q": "CIDFF", "caf": "92"},
    {"q": "violences", "theme": "aller-vers"},
    {"q": "webinaire", "financement": "service_benefit"},
    {"q": "securisation dossier", "annee": "2024"},
    {"q": "pension", "partenaire": "cidff"},
    {"q": "formation", "dimension": "funding"},
    {},
    {"caf": "974", "theme": "partenariats"},
]


def seed(count: int, rng: random.Random) -> None:
    from django.db import transaction

    from parcours.core.models import Department, Organisation
    from parcours.doctrine import search, services
    from parcours.doctrine.models import Funding, Practice, PracticePartner, ResultIndicator, Theme
    from parcours.protection.models import Partner

    codes = ("92", "974", "27", "86", "47")
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
    for code, department in departments.items():
        Organisation.objects.get_or_create(
            kind="caf", department=department, defaults={"name": f"Caf {code}"}
        )
    partners = {
        code: [
            Partner.objects.create(department=departments[code], name=f"{kind.label} {code}", kind=kind.value)
            for kind in Partner.Kind
        ]
        for code in codes
    }
    themes = list(Theme.objects.all())
    states = [Practice.State.PUBLISHED] * 7 + [
        Practice.State.SUBMITTED,
        Practice.State.VALIDATED,
        Practice.State.DRAFT,
    ]
    with transaction.atomic():
        practices = []
        for index in range(count):
            code = codes[index % len(codes)]
            words = rng.sample(WORDS, 4)
            practices.append(
                Practice(
                    department=departments[code],
                    state=rng.choice(states),
                    title=f"{words[0].capitalize()} et {words[1]} n° {index}",
                    team="Service social",
                    audience="Parents séparés exposés aux violences",
                    summary=f"La Caf propose {words[0]}, {words[1]} et {words[2]} aux familles.",
                    role_description=f"La Caf assure {words[3]} à l'étape du contact.",
                    pathway_steps=["social_worker_contact"],
                    staff_fte=Decimal(rng.randint(1, 30)) / 10,
                    budget=Decimal(rng.randint(0, 100) * 1000),
                    started_year=rng.randint(2019, 2026),
                )
            )
        Practice.objects.bulk_create(practices, batch_size=2000)
        rows, fundings, indicators, tags = [], [], [], []
        Tag = Practice.themes.through
        for practice in practices:
            code = practice.department.code
            for partner in rng.sample(partners[code], rng.randint(0, 2)):
                rows.append(PracticePartner(practice=practice, partner=partner, role="Permanence"))
            for _ in range(rng.randint(0, 2)):
                fundings.append(
                    Funding(
                        practice=practice,
                        source=rng.choice(Funding.Source.values),
                        amount=Decimal(rng.randint(1, 50) * 1000),
                        year=rng.randint(2022, 2026),
                    )  # fmt: skip
                )
            indicators.append(ResultIndicator(practice=practice, label="Personnes accompagnées", value="42"))
            for theme in rng.sample(themes, rng.randint(0, 2)):
                tags.append(Tag(practice_id=practice.pk, theme_id=theme.pk))
        PracticePartner.objects.bulk_create(rows, batch_size=5000)
        Funding.objects.bulk_create(fundings, batch_size=5000)
        ResultIndicator.objects.bulk_create(indicators, batch_size=5000)
        Tag.objects.bulk_create(tags, batch_size=5000)
        # The search text, flags and facet codes as `services.refresh` writes them, in bulk.
        loaded = Practice.objects.select_related("department").prefetch_related(
            "partners__partner", "fundings", "indicators", "themes"
        )
        batch = []
        for practice in loaded.iterator(chunk_size=1000):
            partner_rows, funding_rows = list(practice.partners.all()), list(practice.fundings.all())
            practice.search_document = services.search_document(practice)
            practice.has_role = bool(practice.role_description or practice.pathway_steps)
            practice.has_means = bool(practice.staff_fte or practice.tools or practice.budget)
            practice.has_partners, practice.has_funding = bool(partner_rows), bool(funding_rows)
            practice.has_results = bool(list(practice.indicators.all()))
            practice.theme_codes = services._codes(t.code for t in practice.themes.all())
            practice.partner_kinds = services._codes(r.partner.kind for r in partner_rows)
            practice.funding_sources = services._codes(f.source for f in funding_rows)
            batch.append(practice)
        fields = ["search_document", "has_role", "has_means", "has_partners", "has_funding", "has_results",
                  "theme_codes", "partner_kinds", "funding_sources"]  # fmt: skip
        Practice.objects.bulk_update(batch, fields, batch_size=1000)
        search.rebuild_index()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def signed_in_client(user):
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from parcours.core.middleware import start_session_clock

    client = Client(HTTP_HOST="localhost")
    # The sign-in itself is not measured: no lockout bookkeeping for this shortcut (force_login has
    # no client address, which the login-attempt log on PostgreSQL refuses).
    settings.AXES_ENABLED = False
    client.force_login(user, backend="parcours.core.auth.EmailBackend")
    settings.AXES_ENABLED = True
    device = TOTPDevice.objects.create(
        user=user, name="bench", key="3132333435363738393031323334353637383930", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id

    class _Request:
        pass

    fake = _Request()
    fake.session = session
    start_session_clock(fake)
    session.save()
    return client


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--practices", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench-doctrine.sqlite3'}")
    parser.add_argument("--reuse", action="store_true", help="measure the database a previous run seeded")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="parcours-bench-doctrine-"))
    env = bench_env(args.database_url, data_dir)
    if not args.reuse:
        log(f"base neuve ({args.database_url.split('@')[-1]})")
        fresh_database(args.database_url)
        parcours(env, "migrate", "-v", "0")
    setup_django(env)
    from django.db import connection

    from parcours.core.models import Organisation, User
    from parcours.doctrine import search, selectors

    rng = random.Random(20)
    if args.reuse:
        from parcours.doctrine.models import Practice

        args.practices = Practice.objects.count()
        reader = User.objects.get(email="lecteur@bench.parcours.fr")
    else:
        started = time.perf_counter()
        seed(args.practices, rng)
        log(f"{args.practices} fiches en {time.perf_counter() - started:.1f} s")
        caf = Organisation.objects.get(kind="caf", department__code="47")
        reader = User.objects.create_user("lecteur@bench.parcours.fr", "x", organisation=caf, roles=["service_advisor"],
                                          first_name="Nadia", last_name="Lectrice")  # fmt: skip
    reader = User.objects.select_related("organisation__department").get(pk=reader.pk)
    client = signed_in_client(reader)
    # Warm up (compiled queries, templates), then measure.
    for params in QUERIES:
        selectors.search_practices(reader, selectors.SearchQuery.from_params(params))
        assert client.get("/gestion/doctrine/", params).status_code == 200
    timings = {"search": [], "page": [], "search_cpu": []}
    totals = {}
    for _ in range(args.rounds):
        for params in QUERIES:
            t0, c0 = time.perf_counter(), time.thread_time()
            result = selectors.search_practices(reader, selectors.SearchQuery.from_params(params))
            timings["search"].append(time.perf_counter() - t0)
            # CPU of this process only: what the search costs on an idle core (the database server's
            # own CPU is not in it on PostgreSQL; SQLite runs in this process).
            timings["search_cpu"].append(time.thread_time() - c0)
            totals[json.dumps(params, ensure_ascii=False)] = result.total
            t0 = time.perf_counter()
            response = client.get("/gestion/doctrine/", params)
            timings["page"].append(time.perf_counter() - t0)
            assert response.status_code == 200
    print(
        json.dumps(
            {
                "benchmark": "doctrine_search",
                "database": connection.vendor,
                "stemmer": search.stemmer() is not None,
                "practices": args.practices,
                "queries": len(QUERIES),
                "rounds": args.rounds,
                "search": percentiles(timings["search"]),
                "page": percentiles(timings["page"]),
                "search_cpu_of_this_process": percentiles(timings["search_cpu"]),
                "goal_p95_ms": 100,
                # The machine's load while measuring (the figures scale with it on a shared host).
                "load_average": [round(v, 1) for v in os.getloadavg()],
                "matches_per_query": totals,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
