"""Names for numbers: the company directory and personal contacts (CRM contacts later)."""
