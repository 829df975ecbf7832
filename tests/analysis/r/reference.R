# Reference values from R's survey package for tests/analysis/test_r_reference.py.
#
# Regenerate (from the repository root; needs R >= 4 with the survey package):
#   Rscript tests/analysis/r/reference.R > tests/analysis/r_reference.py
#
# Reads tests/analysis/data/survey.csv (written by tests/analysis/r/make_data.py). Every index is
# built as in METHOD.md §2 from survey totals: item rate = 100 * Y_q / X_q; element = mean of the
# rates of its items that have data (policy: over the groups with data); sub-index = mean of
# its elements; SIPAS = (policy + service) / 2. Values and SEs come from svycontrast (delta method
# on svytotal = Taylor linearisation); item rates are also checked with svyratio / svyby.
suppressMessages(library(survey))
options(survey.lonely.psu = "certainty")

d <- read.csv("tests/analysis/data/survey.csv", check.names = FALSE, na.strings = "",
              colClasses = c(response_id = "character", unit_code = "character",
                             point_code = "character", channel = "character"))
service <- list(B1 = c("B1.1", "B1.2", "B1.3"), B2 = c("B2.1", "B2.2", "B2.3", "B2.4"),
                B3 = c("B3.1", "B3.2", "B3.3", "B3.4"), B4 = c("B4.1", "B4.2", "B4.3"),
                B5 = c("B5.1", "B5.2", "B5.3"))
policy <- lapply(setNames(nm = c("A1", "A2", "A3", "A4")), function(a) paste0(a, ".G", 1:9))
elements <- c(service, policy)
items <- unlist(elements, use.names = FALSE)
for (i in seq_along(items)) {
  a <- d[[items[i]]]
  d[[paste0("y", i)]] <- as.numeric(!is.na(a) & a %in% c(4, 5))
  d[[paste0("x", i)]] <- as.numeric(!is.na(a) & a %in% 1:5)
}
ys <- paste0("y", seq_along(items)); xs <- paste0("x", seq_along(items))
totals <- as.formula(paste("~", paste(c(ys, xs), collapse = "+")))

rate <- function(i) sprintf("100*y%d/x%d", i, i)

# Expressions of every defined estimate, given which items have data (X_q > 0) in the domain.
expressions <- function(has) {
  ex <- list(); el <- list()
  for (i in which(has)) ex[[items[i]]] <- rate(i)
  for (e in names(elements)) {
    idx <- which(items %in% elements[[e]] & has)
    if (length(idx)) el[[e]] <- sprintf("(%s)/%d", paste(sapply(idx, rate), collapse = "+"), length(idx))
  }
  ex <- c(ex, el)
  sub <- list(service = names(service), policy = names(policy))
  for (s in names(sub)) if (all(sub[[s]] %in% names(el))) {
    ex[[s]] <- sprintf("(%s)/%d", paste(unlist(el[sub[[s]]]), collapse = "+"), length(sub[[s]]))
  }
  if (!is.null(ex$service) && !is.null(ex$policy)) ex$sipas <- sprintf("0.5*(%s)+0.5*(%s)", ex$service, ex$policy)
  lapply(ex, function(s) parse(text = s)[[1]])
}

estimate <- function(des) {
  tot <- svytotal(totals, des)
  has <- coef(tot)[xs] > 0
  res <- svycontrast(tot, expressions(has))
  # An exactly-zero variance can come out as -1e-15 from the derivative algebra: clip at 0.
  data.frame(code = names(coef(res)), value = unname(coef(res)), se = sqrt(pmax(unname(diag(vcov(res))), 0)))
}

emit <- function(name, design, by) {
  cat(sprintf("%s = {\n", name))
  doms <- c("", sort(unique(d[[by]])))
  for (dom in doms) {
    sub <- if (dom == "") design else design[d[[by]] == dom, ]
    r <- estimate(sub)
    for (k in seq_len(nrow(r))) cat(sprintf("    (%s, %s): (%.15g, %.15g),\n",
      deparse(dom), deparse(r$code[k]), r$value[k], r$se[k]))
  }
  cat("}\n\n")
}

cat('"""Reference values computed by R\'s survey package (generated file: do not edit).\n\n')
cat("Command: Rscript tests/analysis/r/reference.R > tests/analysis/r_reference.py\n")
cat(sprintf("Source: tests/analysis/r/reference.R on tests/analysis/data/survey.csv; %s, survey %s.\n",
            R.version.string, packageVersion("survey")))
cat('Keys are (domain, estimate): domain "" is the whole selection; values are (value, se) in percent.\n"""\n\n')
cat("# ruff: noqa: E501\n\n")

# D1: clusters = service points, strata = units (the --by column), weights; groups by unit.
d1 <- svydesign(ids = ~point_code, strata = ~unit_code, weights = ~weight, nest = TRUE, data = d)
emit("CLUSTERED_BY_UNIT", d1, "unit_code")
# D2: each response its own cluster, strata = units, weights.
d2 <- svydesign(ids = ~1, strata = ~unit_code, weights = ~weight, data = d)
emit("UNCLUSTERED_BY_UNIT", d2, "unit_code")
# D3: groups (channel) cut across strata (unit) and clusters (point): domain estimation.
emit("CLUSTERED_BY_CHANNEL", d1, "channel")
# D5: clusters = service points without strata, weights; groups by unit as domains.
d5 <- svydesign(ids = ~point_code, weights = ~weight, data = d)
emit("CLUSTERED_NO_STRATA", d5, "unit_code")
# D4: no strata, no clusters, no weights (simple random sample) for the whole selection only.
d4 <- svydesign(ids = ~1, data = d)
r <- estimate(d4)
cat("SIMPLE = {\n")
for (k in seq_len(nrow(r))) cat(sprintf("    %s: (%.15g, %.15g),\n", deparse(r$code[k]), r$value[k], r$se[k]))
cat("}\n\n")

# svyratio per item through svyby, as the issue asks, for two items in D1.
cat("SVYBY_RATIO = {\n")
for (i in match(c("B1.1", "B4.2"), items)) {
  b <- svyby(as.formula(paste0("~y", i)), ~unit_code, d1, svyratio, denominator = as.formula(paste0("~x", i)))
  for (k in seq_len(nrow(b))) cat(sprintf("    (%s, %s): (%.15g, %.15g),\n", deparse(b$unit_code[k]),
    deparse(items[i]), 100 * b[k, 2], 100 * b[k, 3]))
}
cat("}\n")
