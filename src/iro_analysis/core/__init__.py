"""The ground floor: what every stage shares and nothing of a stage. Project folders
(`paths`), reporting years (`years`), the errors a user can act on (`errors`), file
hashing (`hashing`) and cells safe to open in a spreadsheet (`cells`). Nothing here
imports a stage (import-linter, `make lint`)."""
