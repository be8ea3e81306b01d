"""Every table of the engine, for what needs the whole schema at once (create_all, Alembic).

Each domain package keeps its tables in its own ``models`` module; importing this one registers them all."""
from engine import journal  # noqa: F401
from engine.audit import models as audit_models  # noqa: F401
from engine.cases import models as cases_models  # noqa: F401
from engine.db import Base
from engine.identity import models as identity_models  # noqa: F401
from engine.library import models as library_models  # noqa: F401
from engine.review import models as review_models  # noqa: F401
from engine.runtime import models as runtime_models  # noqa: F401
from engine.runtime import open_counts  # noqa: F401  (the tally table and its triggers)
from engine.runtime import user_counts  # noqa: F401  (the 已办/我发起的 tallies and their triggers)

METADATA = Base.metadata
