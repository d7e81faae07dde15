# The fourth held-out set of public batteries (issue 25): conversion of the pre-registered
# batteries (batteries.csv, README.md) from the CRAN packages' data files to CSV.
# Run from this folder:  Rscript convert.R /path/to/snapshots
# where /path/to/snapshots/<package>/data holds the package's data directory as on CRAN (fetched
# as github:cran/<package>: psychTools 2.5.3, EFAtools 0.6.0, mokken 3.1.2, ltm 1.2-0, EGAnet 2.3.0,
# MPsychoR 0.10-8, qgraph 1.9.8).  Raw answers: one column per item, one row per respondent, missing
# answers empty.  Correlation matrices: square, item names as header and first column; n in batteries.csv.
args <- commandArgs(trailingOnly = TRUE)
src <- if (length(args)) args[1] else "/tmp/s33src"
L <- function(pkg, file) { e <- new.env(); load(file.path(src, pkg, "data", file), envir = e); e }
out <- function(x, name) write.csv(as.data.frame(x), paste0(name, ".csv"), row.names = FALSE, na = "")
outr <- function(r, name) { r <- as.matrix(r); write.csv(data.frame(item = colnames(r), r, check.names = FALSE),
                                                        paste0(name, ".csv"), row.names = FALSE) }
strip <- function(k) unique(sub("^-", "", unlist(k)))

# ---- psychTools
e <- L("psychTools", "Athenstaedt.rda")
out(e$Athenstaedt[, strip(e$Athenstaedt.keys[c("Femininity", "Masculinity")])], "psychTools_Athenstaedt")
e <- L("psychTools", "GERAS.rda")
out(e$GERAS.items[, setdiff(names(e$GERAS.items), "gender")], "psychTools_GERAS")
e <- L("psychTools", "ability.rda")
out(e$ability, "psychTools_ability")
e <- L("psychTools", "big5.100.adjectives.rda")
out(e$big5.100.adjectives[, paste0("V", 1:100)], "psychTools_big5_100_adjectives")
e <- L("psychTools", "epi.rda")
out(e$epi, "psychTools_epi")
e <- L("psychTools", "msq.rda")
adacl <- c("active", "energetic", "vigorous", "wakeful", "wide.awake", "full.of.pep", "lively", "sleepy", "tired",
           "drowsy", "intense", "jittery", "fearful", "tense", "clutched.up", "quiet", "still", "placid", "calm",
           "at.rest")
panas <- c("active", "alert", "attentive", "determined", "enthusiastic", "excited", "inspired", "interested", "proud",
           "strong", "afraid", "ashamed", "distressed", "guilty", "hostile", "irritable", "jittery", "nervous",
           "scared", "upset")
out(e$msq[, adacl], "psychTools_msq_ADACL")
out(e$msq[, panas], "psychTools_msq_PANAS")
e <- L("psychTools", "neo.rda")
outr(e$neo, "psychTools_neo")
e <- L("psychTools", "spi.keys.rda"); keys <- e$spi.keys
e <- L("psychTools", "spi.rda")
out(e$spi[, strip(keys[c("Agree", "Consc", "Neuro", "Extra", "Open")])], "psychTools_spi_big5")
e <- L("psychTools", "USAF.rda")
outr(e$USAF[c(4:8, 10:19), c(4:8, 10:19)], "psychTools_USAF")  # the help page's omega example: the size variables

# ---- EFAtools
e <- L("EFAtools", "DOSPERT.RData")
outr(e$DOSPERT$cormat, "EFAtools_DOSPERT")  # N = e$DOSPERT$N = 1507
e <- L("EFAtools", "DOSPERT_raw.RData")
out(e$DOSPERT_raw, "EFAtools_DOSPERT_raw")
e <- L("EFAtools", "UPPS_raw.RData")
x <- e$UPPS_raw; x[x == 0] <- NA  # two answers of 0 on a 1-4 scale: not a valid answer, read as missing
out(x, "EFAtools_UPPS_raw")

# ---- mokken
e <- L("mokken", "DS14.rda")
x <- e$DS14[, 3:16]; x[, c("Si1*", "Si3*")] <- 4 - x[, c("Si1*", "Si3*")]  # help page: items 1 and 3 must be recoded
colnames(x) <- sub("\\*", "", colnames(x))
out(x, "mokken_DS14")
e <- L("mokken", "SWMDK.rda")
out(e$SWMDK[, -1], "mokken_SWMDK")  # the first column is the classroom
e <- L("mokken", "acl.rda")
out(e$acl, "mokken_acl")  # negatively worded items already reversed (help page)
e <- L("mokken", "cavalini.rda")
out(e$cavalini, "mokken_cavalini")

# ---- ltm
e <- L("ltm", "Mobility.rda")
out(e$Mobility, "ltm_Mobility")

# ---- EGAnet
e <- L("EGAnet", "depression.RData")
x <- e$depression[, c(paste0("BDI", 1:21), paste0("BAI", 1:21), paste0("Insomnia", 1:8))]
x[!is.na(x) & (x < 0 | x > 3)] <- NA  # every item is scored 0-3; four cells (4, 10) are out of range: missing
out(x, "EGAnet_depression")

# ---- MPsychoR
e <- L("MPsychoR", "ASTI.rda");  out(e$ASTI[, paste0("ASTI", 1:25)], "MPsychoR_ASTI")
e <- L("MPsychoR", "BSSS.rda");  out(e$BSSS, "MPsychoR_BSSS")
e <- L("MPsychoR", "Bergh.rda"); out(e$Bergh[, c("EP", "SP", "HP", "DP", "A1", "A2", "A3", "O1", "O2", "O3")], "MPsychoR_Bergh")
e <- L("MPsychoR", "RWDQ.rda");  out(e$RWDQ, "MPsychoR_RWDQ")
e <- L("MPsychoR", "Rmotivation.rda")
out(e$Rmotivation[, c(paste0("ext", 1:12), paste0("hyb", 1:19), paste0("int", 1:5))], "MPsychoR_Rmotivation")
e <- L("MPsychoR", "Rogers.rda"); out(e$Rogers, "MPsychoR_Rogers")
e <- L("MPsychoR", "Rogers_Adolescent.rda"); out(e$Rogers_Adolescent, "MPsychoR_Rogers_Adolescent")
e <- L("MPsychoR", "zareki.rda"); out(e$zareki[, c(paste0("addit", 1:8), paste0("subtr", 1:8))], "MPsychoR_zareki")

# ---- qgraph
e <- L("qgraph", "big5.RData")
out(e$big5, "qgraph_big5")  # 240 NEO-PI-R items as shipped (a few non-integer values: as in the package)
