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
