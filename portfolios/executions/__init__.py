"""Executions: marking an exported proposal executed from what the custodian actually did.

Three small steps, each its own module (docs/executions.md):

* :mod:`~portfolios.executions.parse` reads an execution file (or hand-entered fills) into
  :class:`~portfolios.executions.parse.FillRow` values, every bad row reported by line;
* :mod:`~portfolios.executions.match` resolves accounts and symbols inside the firm and
  matches fills to the proposal's trades (filled, partial, not done, unmatched), refusing
  what must not be applied;
* :mod:`~portfolios.executions.apply` changes lots and cash, stores the fills and marks the
  proposal executed, in one transaction with nothing half-written.
"""
