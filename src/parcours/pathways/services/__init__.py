"""Every write of the pathways module (one function per use case: actor first, keyword-only).

- record_separation / record_separations: a declared separation opens a pathway (form, file, API);
- update_situation: violence reported, children count corrected → open steps re-evaluated;
- complete_step, record_contact_attempt, assign_step: working a step;
- start_import / restart_import / import_data: files of events;
- save_department_template / save_national_template / use_national_template: templates as data.
"""

from parcours.pathways.services.jobs import import_data, restart_import, run_import, start_import
from parcours.pathways.services.opening import (
    OpeningReport,
    RecordResult,
    record_separation,
    record_separations,
)
from parcours.pathways.services.situation import update_situation
from parcours.pathways.services.steps import assign_step, complete_step, record_contact_attempt
from parcours.pathways.services.templates import (
    StepSpec,
    save_department_template,
    save_national_template,
    use_national_template,
)

__all__ = [
    "OpeningReport",
    "RecordResult",
    "StepSpec",
    "assign_step",
    "complete_step",
    "import_data",
    "record_contact_attempt",
    "record_separation",
    "record_separations",
    "restart_import",
    "run_import",
    "save_department_template",
    "save_national_template",
    "start_import",
    "update_situation",
    "use_national_template",
]
