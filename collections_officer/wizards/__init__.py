from . import collection_contact_wizard
from . import collection_plan_wizard
from . import collection_send_wizard
from . import collection_partner_flag_wizard
