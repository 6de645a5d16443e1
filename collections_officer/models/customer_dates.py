from odoo.tools import format_date

# Babel's "long" date: the month written out in the reader's language, "January 2, 2027",
# "2 janvier 2027", "2 januari 2027". "01/02/2027" reads as two different days in Chicago
# and in Ghent; a customer document never leaves them to guess which.
CUSTOMER_DATE_FORMAT = "long"


def customer_date(env, value, lang_code=None):
    """``value`` (a date) as a customer document writes it, in ``lang_code`` (by default
    the language of ``env``)."""
    return format_date(env, value, lang_code=lang_code or None, date_format=CUSTOMER_DATE_FORMAT)
