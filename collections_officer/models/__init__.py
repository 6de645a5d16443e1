from . import account_move, collection_case, collection_team, res_partner
