# Reference values from R's survey package for tests/analysis/test_r_design.py: the December
# rules (degrees of freedom, Korn–Graubard, domains, post-stratification, lonely PSUs, contrasts).
#
# Regenerate (from the repository root; needs R >= 4 with the survey package):
#   Rscript tests/analysis/r/design.R > tests/analysis/r_design.py
#
# Reads tests/analysis/data/survey.csv and tests/analysis/data/counts.csv (both written by
# tests/analysis/r/make_data.py). Indices are built from svytotal with svycontrast exactly as in
# reference.R; intervals are confint(..., df = degf(domain design)); item intervals are
# svyciprop(method = "beta") on the domain's responses with a valid answer.
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")

d <- read.csv("tests/analysis/data/survey.csv", check.names = FALSE, na.strings = "",
              colClasses = c(response_id = "character", unit_code = "character",
                             point_code = "character", channel = "character"))
d$month <- substr(d$submitted_at, 1, 7)
d$half <- ifelse(d$month <= "2025-09", "Q3", "Q4")
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

# Expressions of every defined estimate given which items have data; `v` names a total
# (prefix "Q3:" for svyby's coefficients).
expressions <- function(has, prefix = "") {
  rate <- function(i) sprintf("100*`%sy%d`/`%sx%d`", prefix, i, prefix, i)
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
  ex
}

estimate <- function(des) {
  tot <- svytotal(totals, des)
  has <- coef(tot)[xs] > 0
  res <- svycontrast(tot, lapply(expressions(has), function(s) parse(text = s)[[1]]))
  ci <- if (degf(des) >= 1) confint(res, df = degf(des)) else matrix(NA, length(coef(res)), 2)
  data.frame(code = names(coef(res)), value = unname(coef(res)),
             se = sqrt(pmax(unname(diag(vcov(res))), 0)), df = degf(des), low = ci[, 1], high = ci[, 2])
}

cat_estimates <- function(name, design, by, domains = c("", sort(unique(d[[by]])))) {
  cat(sprintf("%s = {\n", name))
  for (dom in domains) {
    sub <- if (dom == "") design else subset(design, d[[by]] == dom)
    r <- estimate(sub)
    for (k in seq_len(nrow(r))) cat(sprintf("    (%s, %s): (%.15g, %.15g, %d, %.15g, %.15g),\n",
      deparse(dom), deparse(r$code[k]), r$value[k], r$se[k], r$df[k], r$low[k], r$high[k]))
  }
  cat("}\n\n")
}

cat_beta <- function(name, design, by) {
  cat(sprintf("%s = {\n", name))
  for (dom in c("", sort(unique(d[[by]])))) {
    inside <- if (dom == "") rep(TRUE, nrow(d)) else d[[by]] == dom
    for (i in seq_along(items)) {
      keep <- inside & d[[xs[i]]] == 1
      if (sum(keep) < 2) next
      sub <- subset(design, keep)
      p <- mean(d[[ys[i]]][keep])
      if (degf(sub) < 1 || p == 0 || p == 1) next  # R's interval is undefined there
      ci <- attr(svyciprop(as.formula(paste0("~", ys[i])), sub, method = "beta"), "ci")
      cat(sprintf("    (%s, %s): (%.15g, %.15g),\n", deparse(dom), deparse(items[i]), 100 * ci[1], 100 * ci[2]))
    }
  }
  cat("}\n\n")
}

cat('"""Reference values computed by R\'s survey package (generated file: do not edit).\n\n')
cat("Command: Rscript tests/analysis/r/design.R > tests/analysis/r_design.py\n")
cat(sprintf("Source: tests/analysis/r/design.R on tests/analysis/data/survey.csv and counts.csv; %s, survey %s.\n",
            R.version.string, packageVersion("survey")))
cat("Index keys are (domain, estimate) -> (value, se, degf, confint low, high on degf);\n")
cat("Korn-Graubard keys (domain, item) -> (low, high) of svyciprop(method = 'beta').\n")
cat('Domain "" is the whole selection. options(survey.lonely.psu = "adjust").\n"""\n\n')
cat("# ruff: noqa: E501\n\n")

# The app's design: counters as strata, each response its own PSU, weights; units as domains.
counters <- svydesign(ids = ~1, strata = ~point_code, weights = ~weight, data = d)
cat_estimates("COUNTERS_BY_UNIT", counters, "unit_code")
cat_beta("COUNTERS_BETA", counters, "unit_code")

# svyby domains: months of a unit-stratified design (strata = unit), weights.
units <- svydesign(ids = ~1, strata = ~unit_code, weights = ~weight, data = d)
cat_estimates("UNITS_BY_MONTH", units, "month")
cat("SVYBY_MONTH = {\n")
by1 <- svyby(~y1, ~month, units, svyratio, denominator = ~x1)
for (k in seq_len(nrow(by1))) cat(sprintf("    (%s, %s): (%.15g, %.15g),\n", deparse(by1$month[k]),
  deparse(items[1]), 100 * by1[k, 2], 100 * by1[k, 3]))
cat("}\n\n")

# postStratify to dossier counts per counter x month (counters as strata, unit weights).
counts <- read.csv("tests/analysis/data/counts.csv", colClasses = c(point_code = "character", month = "character"))
pop <- data.frame(point_code = counts$point_code, month = counts$month, Freq = counts$dossiers)
plain <- svydesign(ids = ~1, strata = ~point_code, data = d)
post <- postStratify(plain, ~point_code + month, pop)
cat_estimates("POSTSTRAT_BY_UNIT", post, "unit_code")
cat_beta("POSTSTRAT_BETA", post, "unit_code")
cat_estimates("PLAIN_BY_UNIT", plain, "unit_code")

# A lonely PSU: counter P5 keeps one response; survey.lonely.psu = "adjust".
first_p5 <- which(d$point_code == "P5")[1]
lone <- d[d$point_code != "P5" | seq_len(nrow(d)) == first_p5, ]
d_all <- d; d <- lone
lonely <- svydesign(ids = ~1, strata = ~point_code, weights = ~weight, data = lone)
cat_estimates("LONELY_BY_UNIT", lonely, "unit_code")
cat(sprintf("LONELY_ID = %s\n\n", deparse(lone$response_id[lone$point_code == "P5"])))
d <- d_all

# Contrast of two half-years within the counters design (svyby + svycontrast): of unit U2, and
# of the whole province.
contrast <- function(name, sub) {
  by <- svyby(totals, ~half, sub, svytotal, covmat = TRUE)
  cat(sprintf("%s = {\n", name))
  has_a <- coef(by)[paste0("Q3:", xs)] > 0; has_b <- coef(by)[paste0("Q4:", xs)] > 0
  ea <- expressions(has_a, "Q3:"); eb <- expressions(has_b, "Q4:")
  for (code in c("sipas", "policy", "service", "B1", "A2", "B1.1", "B3.2")) {
    if (is.null(ea[[code]]) || is.null(eb[[code]])) next
    r <- svycontrast(by, parse(text = sprintf("(%s)-(%s)", ea[[code]], eb[[code]]))[[1]])
    ci <- confint(r, df = degf(sub))
    cat(sprintf("    %s: (%.15g, %.15g, %d, %.15g, %.15g),\n", deparse(code), coef(r), sqrt(vcov(r)), degf(sub), ci[1], ci[2]))
  }
  cat("}\n\n")
}
contrast("CONTRAST_U2", subset(counters, unit_code == "U2"))
contrast("CONTRAST_ALL", counters)
