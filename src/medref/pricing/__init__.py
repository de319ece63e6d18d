"""Expected Medicare allowed amounts under the Physician Fee Schedule: RVUs x GPCIs x the
conversion factor, with the payment modifiers and multiple procedure rules applied, in exact
decimals rounded as CMS rounds (`fee.py`, `lines.py`)."""

from medref.pricing.fee import FeeAmount, fee_schedule_amount, is_facility
from medref.pricing.lines import LinePrice, Service, price_day, price_line
from medref.pricing.localities import find_locality
from medref.pricing.quote import Pricer, Quote, all_localities, quote
from medref.pricing.rates import Gpci, PfsRate, PricingTables

__all__ = [
    "FeeAmount",
    "Gpci",
    "LinePrice",
    "PfsRate",
    "Pricer",
    "PricingTables",
    "Quote",
    "Service",
    "all_localities",
    "fee_schedule_amount",
    "find_locality",
    "is_facility",
    "price_day",
    "price_line",
    "quote",
]
