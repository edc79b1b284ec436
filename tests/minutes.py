"""Short minutes of made-up meetings, written into PDFs by the tests (one source for every test file)."""

CABINET = """MINUTES OF THE CABINET
Thursday, 30 January 2025
Present: Councillor A Smith (Chair), Councillor B Jones and Councillor C Brown.
1. Apologies
Apologies for absence were received from Councillor D White.
2. Budget
The Cabinet considered the draft revenue budget for 2025/26 and the capital programme.
RESOLVED that the budget be approved."""
PLANNING = """MINUTES OF THE PLANNING COMMITTEE
Tuesday, 11 February 2025
Present: Councillor F Patel (Chair) and Councillor G Okafor.
1. Planning Applications
The committee considered an application for twelve homes on the former depot site.
RESOLVED that planning permission be granted subject to conditions."""
ENVIRONMENT = """MINUTES OF THE ENVIRONMENT COMMITTEE
Monday, 14 April 2025
Present: Councillor K Lee (Chair) and Councillor L Shah.
1. Parks and Open Spaces
The committee agreed a programme of tree planting in the riverside park during the winter.
RESOLVED that the tree planting programme be approved."""
