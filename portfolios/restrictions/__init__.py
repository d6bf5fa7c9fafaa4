"""Do-not-buy and do-not-sell restrictions: adding, lifting and reading the ones in force.

:mod:`~portfolios.restrictions.lists` changes them (audited, all or nothing) and
:mod:`~portfolios.restrictions.in_force` reads those that apply to a household on a date,
which :func:`portfolios.proposals.inputs.build_input` hands to the rebalance engine.
"""
