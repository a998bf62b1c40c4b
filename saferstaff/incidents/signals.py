from django.dispatch import Signal

# Sent by ``incidents.services.record_contact`` (``contact=`` the Contact, ``actor=`` who recorded it) inside its
# transaction. The privacy room connects to it: a referral to the police, the LADO or the Local Authority is a
# disclosure of personal data, and opens a prefilled entry in the sharing log (§8), so incidents imports nothing
# above it.
contact_recorded = Signal()
