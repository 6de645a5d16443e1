from . import account_move
from . import collection_case
from . import collection_charge_rule
from . import collection_contact
from . import collection_level
from . import collection_policy
from . import collection_team
from . import res_partner
