from . import collection_plan_wizard
