from . import collection_charge_cancel_wizard
from . import collection_contact_wizard
from . import collection_golive_wizard
from . import collection_partner_flag_wizard
from . import collection_plan_refuse_wizard
from . import collection_plan_wizard
from . import collection_send_wizard
from . import collection_dispute_resolve_wizard
