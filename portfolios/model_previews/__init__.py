"""Model-change previews: what a draft model version would do to every household that
follows the model, computed by the same engine as a single proposal.

:mod:`.targets` turns a draft's lines into the engine's targets, :mod:`.loading` reads a
chunk of households in a fixed number of queries, :mod:`.compute` proposes for each and
sums the result, :mod:`.runs` fans a preview out in chunks exactly once, :mod:`.results`
reads the stored result (totals, per advisor, the table, CSV) and :mod:`.commit` makes the
draft live and drafts proposals for the households that trade.
"""
