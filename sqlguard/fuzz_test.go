package sqlguard

import (
	"strings"
	"testing"
)

// FuzzReadOnly looks for texts the classifier allows although they could run a
// second statement or a write. Properties checked on every allowed input:
//   - appending a newline and a second statement (after ; or ->>) is refused (so
//     nothing the tokenizer saw as code can leave a string, identifier or comment open);
//   - the tokens cover the input in order without overlap;
//   - no unquoted write keyword appears outside a path (a.delete, v:update).
func FuzzReadOnly(f *testing.F) {
	for _, q := range allowed {
		f.Add(q)
	}
	for _, q := range refused {
		f.Add(q)
	}
	f.Add("SELECT '\\\\' ; DROP TABLE t")
	f.Add("SELECT \"a\"\"\" ; x")
	f.Add("SELECT $$a$$$$b$$")
	f.Add("SELECT '' '' ''")
	f.Add("SELECT 1 /**/; /**/")
	f.Add("SHOW TABLES ->> SELECT * FROM $1 ->> USE ROLE r")
	f.Add("SELECT 1 -- \u2028 ->> SET x = 1")
	f.Add("SELECT 1,\u00a0SYSTEM$CANCEL_QUERY('q')")
	f.Add("SELECT '\u2028' ->> SELECT $$\u00a0$$ FROM $1")
	f.Add(`SELECT $1 FROM @"a""b"/c//d ->> USE ROLE r`)
	f.Add("SELECT $1 FROM @s/x.csv (FILE_FORMAT => 'f') ->> SELECT * FROM $1")
	f.Fuzz(func(t *testing.T, sql string) {
		kind, err := Classify(sql)
		if err != nil {
			if !IsRefused(err) {
				t.Fatalf("Classify(%q) error %T is not a *RefusedError", sql, err)
			}
			return
		}
		switch kind {
		case KindSelect, KindWith, KindShow, KindDescribe, KindExplain:
		default:
			t.Fatalf("Classify(%q) returned unknown kind %q", sql, kind)
		}
		for _, tail := range []string{"\n; DROP TABLE t", "\n;\nDELETE FROM t", "\n->> USE ROLE r"} {
			if _, err := Classify(sql + tail); err == nil {
				t.Fatalf("Classify(%q) allowed a second statement", sql+tail)
			}
		}
		toks, err := Tokenize(sql)
		if err != nil {
			t.Fatalf("allowed text fails to tokenize: %v", err)
		}
		prev := 0
		semis := 0
		for i, tk := range toks {
			if tk.Start < prev || tk.End <= tk.Start || sql[tk.Start:tk.End] != tk.Text {
				t.Fatalf("token %+v out of order or wrong span in %q", tk, sql)
			}
			prev = tk.End
			if tk.Kind == Punct && tk.Text == ";" {
				semis++
			}
			pathElem := i > 0 && (toks[i-1].Text == "." || toks[i-1].Text == ":")
			if tk.Kind == Word && writeWords[strings.ToUpper(tk.Text)] && !pathElem {
				t.Fatalf("allowed text %q holds write keyword %q", sql, tk.Text)
			}
		}
		if semis > 1 || (semis == 1 && toks[len(toks)-1].Text != ";") {
			t.Fatalf("allowed text %q has a semicolon that is not the last token", sql)
		}
	})
}
