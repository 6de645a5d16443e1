from . import collection_letter_report
from . import collection_plan_report
from . import collection_statement_report
from . import collection_statement_data
from . import collection_proof_of_debt_report
from . import collection_legal_report
from . import collection_aging_bucket
from . import collection_aging_line
