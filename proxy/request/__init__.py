"""The ground floor: the request model (`RequestContext`, `NormalizedRequest`, `TextField`) and the parsing of
provider bodies into it. Every stage, the audit and the policy import these; they import no stage."""
