// Search ranking for the book (html_search_scorer in _config.yml), Sphinx's default Scorer plus one rule.
// Every glossary term is an index entry, and Sphinx ranks an index entry that contains the query
// (score 100 × query length / entry length) above any page: "注意力" listed 自注意力, 注意力权重,
// 多头注意力 … and never reached the attention chapter. A glossary term equal to the query stays
// on top; terms that merely contain it move below the chapters.
var Scorer = {
  score: (result) => {
    const [docname, , anchor, , score] = result;
    const partialGlossaryTerm = docname === "glossary" && anchor.startsWith("#term-") && score < 100;
    return partialGlossaryTerm ? Math.round(score / 10) : score;
  },
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
