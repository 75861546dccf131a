"""Inputs and results of every workflow, update, query and activity, one module per stage.

They live in the core, not beside the activities, so that `workflows/` can use them
without importing asyncpg or boto3. Anything that carries personal data travels encrypted
(see `dsar.codec`); the rest carries only references, codes and counts. Import each name
from its stage's module (`dsar.messages.review`, `dsar.messages.delivery`, ...), so a
change to one stage's messages shows at once who depends on it; `activity_names` holds
the names activities are registered under, paired with their types in `dsar.activity_refs`.
"""
