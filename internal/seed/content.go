package seed

import "strings"

type agentProfile struct {
	name, description, goal string
	modes                   []string
}

var agentProfiles = []agentProfile{
	{"Customer Discovery", "Interviews prospects about their workflow before a product decision.", "Understand the problems teams face when running user research.", []string{"voice", "text"}},
	{"Churn Exit Interview", "Talks to customers who cancelled within the last 30 days.", "Learn the main reasons customers leave and what would have kept them.", []string{"voice"}},
	{"Onboarding Check-in", "Follows up a week after sign-up.", "Find where new users get stuck during setup.", []string{"text", "voice"}},
	{"Candidate Screening", "First-round screening for engineering candidates.", "Assess experience, motivation and availability.", []string{"voice"}},
	{"NPS Follow-up", "Asks detractors and promoters to explain their score.", "Turn NPS scores into concrete product feedback.", []string{"text"}},
	{"Pricing Research", "Explores willingness to pay across plans.", "Find which features justify the upgrade to a paid plan.", []string{"text", "voice"}},
}

type script []string

// question returns the agent's k-th line, ending with a closing line.
func (s script) question(g *generator, k int) string {
	if k < len(s) {
		return s[k]
	}
	return g.pick(followUps)
}

var scripts = map[string]script{
	"Customer Discovery":   {"Hi! Thanks for making time today. Could you tell me a little about your role?", "How does your team run user research today?", "What is the most frustrating part of that process?", "How do you decide which insights make it into the roadmap?", "If you could wave a magic wand, what would change?"},
	"Churn Exit Interview": {"Thanks for agreeing to chat. What made you decide to cancel?", "Was there a moment when you realised it wasn't working for you?", "What are you using instead now?", "Is there anything we could have done differently?"},
	"Onboarding Check-in":  {"Hi, I'm checking in on how your first week went. How is the setup going?", "Which step took you the longest?", "Did you find the documentation helpful?", "What would make the next week easier?"},
	"Candidate Screening":  {"Hello, and thanks for applying. Could you walk me through your background?", "Tell me about a system you designed that you are proud of.", "How do you approach debugging a production incident?", "What are you looking for in your next role?", "When could you start?"},
	"NPS Follow-up":        {"Thanks for your recent rating. What was the main reason for your score?", "What is the one thing we should improve first?", "How likely are you to keep using the product next quarter?"},
	"Pricing Research":     {"Thanks for joining. Which plan are you on today?", "Which features do you use every week?", "What would make the next plan up worth it for you?", "How does our price compare to the alternatives you considered?"},
}

var followUps = []string{
	"Could you tell me more about that?",
	"Why do you think that is?",
	"Can you give me a concrete example?",
	"How did that affect your team?",
	"What did you try before that?",
	"That's really helpful, thank you. Anything else you'd like to add?",
}

var answers = []string{
	"Sure. I lead a small product team, and we talk to customers every week.",
	"Honestly, it mostly happens in spreadsheets and scattered notes.",
	"Finding the time to synthesise everything is the hardest part.",
	"We tried a couple of tools, but nobody kept them up to date.",
	"It took us about two days to get everything connected.",
	"The documentation was good, but the examples were out of date.",
	"Price was a factor, but the missing integrations mattered more.",
	"I'd say reliability. When it works, it's great.",
	"We had an outage last quarter and it took hours to find the cause.",
	"Probably in about a month, after my current project ships.",
	"I think so, yes, as long as the team keeps using it.",
	"Not really, I think that covers it.",
}

var firstNames = []string{"Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Radia", "Edsger", "Frances", "John", "Katherine", "Tim", "Sophie", "Yukihiro", "Guido", "Anita", "Leslie", "Hedy", "Niklaus", "Shafi", "Donald", "Mary"}

var lastNames = []string{"Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Perlman", "Dijkstra", "Allen", "Backus", "Johnson", "Berners-Lee", "Wilson", "Matsumoto", "van Rossum", "Borg", "Lamport", "Lamarr", "Wirth", "Goldwasser", "Knuth", "Kenneth"}

var companies = []struct{ name, domain string }{
	{"Acme Analytics", "acme-analytics.com"},
	{"Globex", "globex.io"},
	{"Initech", "initech.com"},
	{"Umbrella Health", "umbrella-health.org"},
	{"Stark Logistics", "starklogistics.com"},
	{"Wayne Finance", "waynefinance.com"},
	{"Hooli", "hooli.xyz"},
	{"Pied Piper", "piedpiper.net"},
	{"Vandelay Imports", "vandelay.example"},
	{"Soylent Foods", "soylent.example"},
}

var codeWords = []string{"ALPHA", "BRAVO", "CEDAR", "DELTA", "EMBER", "FALCON", "GROVE", "HARBOR", "IRIS", "JUNIPER"}

func lower(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), " ", "")
}
