"""What the knowledge base says about one code: the code card, the release diff of a code set
and the texts that mention a code. The code systems themselves (pure facts, no knowledge
base) live in `medref.codes`.

    explain(kb, raw, on)    -> CodeCard         what the loaded tables say on a date
    diff(kb, source, a, b)  -> CodeDiff         codes added, deleted, changed
"""

from medref.lookup.diff import CodeDiff, diff
from medref.lookup.explain import CodeCard, explain

__all__ = ["CodeCard", "CodeDiff", "diff", "explain"]
