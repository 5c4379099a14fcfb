"""iro-analysis: reproducible analytics and annual reporting for IRO services.

The package reads the statutory returns councils already hold (SSDA903, the Children in
Need census) and the IRO service's own extracts, cleans and validates them, computes the
KPIs of the IRO annual report and renders the report.
"""

__version__ = "0.1.0"
