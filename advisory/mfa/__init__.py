"""Two-factor authentication policy on top of django-allauth's MFA: secrets encrypted at rest
(:mod:`.crypto`, :mod:`.adapter`), the staff enrolment grace period (:mod:`.policy`) and the
step-up check before sensitive actions (:mod:`.stepup`)."""
