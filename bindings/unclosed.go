package bindings

import (
	"fmt"
	"strings"
)

// unclosedAtEOF explains a parse error at the end of the file. gopher-lua's
// parser says only "name at EOF: syntax error"; this light token scan finds the
// innermost block, bracket, string or comment that is still open when the file
// ends and names the line it opened on, as Lua 5.1 itself does ("'end'
// expected (to close 'function' at line 3)"). It runs only after the parser
// has failed, so it never has to be a complete Lua lexer: it needs keywords,
// brackets, strings and comments, and nothing else.
func unclosedAtEOF(code []byte, name string) string {
	type opener struct {
		word string
		line int
	}
	var stack []opener
	push := func(w string, line int) { stack = append(stack, opener{w, line}) }
	pop := func(closers ...string) {
		if len(stack) == 0 {
			return
		}
		top := stack[len(stack)-1].word
		for _, c := range closers {
			if top == c {
				stack = stack[:len(stack)-1]
				return
			}
		}
	}
	src := string(code)
	line := 1
	lastLine := 1
	// pendingDo: a 'for' or 'while' whose own 'do' has not come yet.
	pendingDo := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r':
			i++
			continue
		}
		lastLine = line
		switch {
		case strings.HasPrefix(src[i:], "--"):
			if lvl, ok := longBracket(src[i+2:]); ok {
				start := line
				end := strings.Index(src[i+2:], "]"+strings.Repeat("=", lvl)+"]")
				if end < 0 {
					return fmt.Sprintf("%s:%d: the comment opened here with '--[%s[' is never closed with ']%s]'", name, start, strings.Repeat("=", lvl), strings.Repeat("=", lvl))
				}
				body := src[i : i+2+end+lvl+2]
				line += strings.Count(body, "\n")
				i += len(body)
				continue
			}
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c == '[':
			if lvl, ok := longBracket(src[i:]); ok {
				start := line
				end := strings.Index(src[i:], "]"+strings.Repeat("=", lvl)+"]")
				if end < 0 {
					return fmt.Sprintf("%s:%d: the string opened here with '[%s[' is never closed with ']%s]'", name, start, strings.Repeat("=", lvl), strings.Repeat("=", lvl))
				}
				body := src[i : i+end+lvl+2]
				line += strings.Count(body, "\n")
				i += len(body)
				continue
			}
			push("[", line)
			i++
			continue
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c && src[j] != '\n' {
				if src[j] == '\\' && j+1 < len(src) {
					if src[j+1] == '\n' {
						line++
					}
					j++
				}
				j++
			}
			if j >= len(src) || src[j] == '\n' {
				return fmt.Sprintf("%s:%d: the string opened here with %c is never closed", name, line, c)
			}
			i = j + 1
			continue
		case c == '(' || c == '{':
			push(string(c), line)
			i++
			continue
		case c == ')':
			pop("(")
			i++
			continue
		case c == '}':
			pop("{")
			i++
			continue
		case c == ']':
			pop("[")
			i++
			continue
		case isIdentStart(c):
			j := i
			for j < len(src) && (isIdentStart(src[j]) || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			word := src[i:j]
			// a field or method name (t.end is not valid Lua, but t.repeat_x is a name)
			afterDot := i > 0 && (src[i-1] == '.' || src[i-1] == ':') && !(i > 1 && src[i-2] == '.')
			i = j
			if afterDot {
				continue
			}
			switch word {
			case "function", "if", "repeat":
				push(word, line)
			case "for", "while":
				push(word, line)
				pendingDo++
			case "do":
				if pendingDo > 0 {
					pendingDo--
				} else {
					push("do", line)
				}
			case "end":
				pop("function", "if", "for", "while", "do")
			case "until":
				pop("repeat")
			}
			continue
		}
		i++
	}
	if len(stack) == 0 {
		return fmt.Sprintf("%s:%d: the file ends in the middle of a statement or expression", name, lastLine)
	}
	top := stack[len(stack)-1]
	closer := map[string]string{"function": "end", "if": "end", "for": "end", "while": "end", "do": "end",
		"repeat": "until", "(": ")", "{": "}", "[": "]"}[top.word]
	return fmt.Sprintf("%s:%d: '%s' opened here is never closed with '%s'", name, top.line, top.word, closer)
}

// longBracket reports whether s starts a long bracket "[[" or "[==[" and its level.
func longBracket(s string) (int, bool) {
	if !strings.HasPrefix(s, "[") {
		return 0, false
	}
	n := 1
	for n < len(s) && s[n] == '=' {
		n++
	}
	if n < len(s) && s[n] == '[' {
		return n - 1, true
	}
	return 0, false
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
