"""Firms and the people in them: a platform operator creates a firm (:mod:`.firms`), firm
admins invite people by e-mail (:mod:`.invitations`), change their roles and deactivate or
reactivate them (:mod:`.members`), and advisors name the clients who own an account
(:mod:`.owners`). Every change here is audited in the firm's trail, in the change's own
transaction."""
