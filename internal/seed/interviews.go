package seed

// exchange is one question of an interview and the answers participants
// give to it. Every answer is written for its question, and follow-up
// questions fit every answer to the question before them.
type exchange struct {
	question string
	answers  []string
}

// interview is what an agent says, in order: its questions, then a closing
// question, and a sign-off for a finished conversation with no answer to
// give.
type interview struct {
	exchanges []exchange
	closing   exchange
	signOff   string
}

// interviews holds one interview per agent profile, by agent name.
var interviews = map[string]interview{
	"Customer Discovery": {
		exchanges: []exchange{
			{"Hi! Thanks for making time today. Could you tell me a little about your role?", []string{
				"Sure. I lead a small product team at a logistics company, so I spend a lot of my week talking to customers.",
				"Of course. I'm a UX researcher; I run most of the interviews for our two product squads.",
			}},
			{"How does your team run user research today?", []string{
				"We do about four customer calls a week over video, and someone takes notes in a shared doc.",
				"Mostly ad hoc. Whoever has a question books a few calls and writes up a summary afterwards.",
			}},
			{"Where do those notes end up once the calls are done?", []string{
				"In a folder of documents that nobody really searches, to be honest.",
				"Some go into a spreadsheet of quotes; the rest stay in people's personal notes.",
			}},
			{"What is the most frustrating part of that process?", []string{
				"Synthesis. Turning twenty calls into a few clear findings takes days we don't have.",
				"Scheduling. Half the effort goes into finding slots that suit customers in other time zones.",
			}},
			{"Can you remember the last time that cost you something concrete?", []string{
				"Yes. We shipped a reporting feature late last quarter because the research summary wasn't ready for planning.",
				"Last month we made a pricing decision on gut feeling because the interviews came in a week too late.",
			}},
			{"How do you decide which insights make it into the roadmap?", []string{
				"The product managers pick them in quarterly planning, usually the ones sales asks about most.",
				"Honestly, whoever argues loudest in the planning meeting. We don't have a real system.",
			}},
			{"Who else is involved in that decision?", []string{
				"Our head of product and the engineering leads, and sometimes someone from customer success.",
				"Mainly the founders. They still sign off on everything that goes on the roadmap.",
			}},
			{"Have you tried any tools to help with research?", []string{
				"We tried a research repository last year, but nobody kept it up to date after the first month.",
				"Only transcription software. It helps, but we still read every transcript by hand.",
			}},
			{"What would a tool need to do for your team to keep using it?", []string{
				"Fit into the calls we already have. If it needs a separate workflow, people drop it.",
				"Give us a summary we trust within a day of the interview, without extra work from us.",
			}},
			{"Roughly how much time a week would that save you?", []string{
				"Probably a full day a week across the team, more during planning season.",
				"At least five or six hours for me alone.",
			}},
			{"If you could wave a magic wand, what would change?", []string{
				"Every customer conversation would be searchable, with the key quotes already pulled out.",
				"We'd talk to twice as many customers without anyone working longer hours.",
			}},
			{"How would you know that change had worked?", []string{
				"Fewer features built on guesses. We'd see it in adoption numbers after each launch.",
				"If planning meetings cited customer evidence instead of opinions, I'd call it a win.",
			}},
		},
		closing: exchange{"That's really helpful, thank you. Is there anything else you'd like to add?", []string{
			"No, I think that covers it. Thanks for listening.",
			"Just that I'd be happy to try an early version if you build this.",
		}},
		signOff: "Thank you so much for your time today. We'll share a summary of what we learn.",
	},
	"Churn Exit Interview": {
		exchanges: []exchange{
			{"Thanks for agreeing to chat. What made you decide to cancel?", []string{
				"Mainly cost. Our budget was cut this year and we had to drop a few subscriptions.",
				"We just weren't using it enough. Only two people on the team logged in regularly.",
			}},
			{"When did you first feel it wasn't the right fit?", []string{
				"Around the renewal, when finance asked every team to justify its tools.",
				"Maybe three months in, once the initial excitement wore off.",
			}},
			{"Was there a specific moment when you realised it wasn't working for you?", []string{
				"When an export failed the day before a board meeting and we rebuilt the report by hand.",
				"When I noticed we were still keeping a separate spreadsheet of the same data.",
			}},
			{"Did you reach out to our support team at the time?", []string{
				"Once. They answered quickly, but the fix needed an integration we don't have.",
				"No, it didn't feel like something support could solve.",
			}},
			{"What are you using instead now?", []string{
				"We've gone back to spreadsheets and a shared inbox for now.",
				"A competitor that came bundled with the CRM we already pay for.",
			}},
			{"How is that working out so far?", []string{
				"It's clunkier, but good enough for the size of our team at the moment.",
				"Fine for the basics, though we've lost some of the reporting we liked.",
			}},
			{"Which feature do you miss the most?", []string{
				"The weekly summary email. People actually read that one.",
				"The dashboards. Nothing else shows the trends as clearly.",
			}},
			{"How did the price compare with the value you were getting?", []string{
				"For what we used, it felt about twice as expensive as it should have been.",
				"The value was there; we just couldn't justify it with so few active users.",
			}},
			{"Is there anything we could have done differently?", []string{
				"A smaller plan for teams like ours would have kept us on.",
				"Better onboarding for the rest of the team. Most of them never got past the first week.",
			}},
			{"Would a discount have changed your decision?", []string{
				"Probably, if it was around thirty percent for a year.",
				"Not really. The problem was adoption, not the price.",
			}},
			{"Under what circumstances would you consider coming back?", []string{
				"If our budget recovers next year and you have the CRM integration by then.",
				"If the team grows and we need proper reporting again.",
			}},
			{"Would you recommend us to a colleague in a different situation?", []string{
				"Yes. For a larger team with a real budget I think it's a good choice.",
				"Probably, as long as they have someone to champion it internally.",
			}},
		},
		closing: exchange{"Thanks, that's very useful. Is there anything else you'd like us to know?", []string{
			"No, that's everything. Good luck with the product.",
			"Only that your support team was always great to deal with.",
		}},
		signOff: "Thanks again for your honesty. It really helps us improve.",
	},
	"Onboarding Check-in": {
		exchanges: []exchange{
			{"Hi, I'm checking in on how your first week went. How is the setup going?", []string{
				"Pretty well. We have the main workspace set up and a few teammates invited.",
				"Slowly, to be honest. I've only had an hour or two to spend on it.",
			}},
			{"Which step took you the longest?", []string{
				"Connecting our calendar. The permissions screen confused our IT admin.",
				"Importing our existing contacts. The CSV kept failing on the date column.",
			}},
			{"How did you get past it in the end?", []string{
				"I found an answer in the help centre after searching for a while.",
				"I asked support, and they walked me through it on a short call.",
			}},
			{"Did you find the documentation helpful?", []string{
				"Mostly. The guides are clear, but some screenshots show an older version of the app.",
				"I didn't look at it much. I prefer to click around and figure things out.",
			}},
			{"Which part of the product have you used the most so far?", []string{
				"The scheduling page. We've already booked about a dozen interviews through it.",
				"The templates. I've been adapting the customer feedback one for our team.",
			}},
			{"Has anything surprised you, good or bad?", []string{
				"A good surprise: the transcripts are far more accurate than I expected.",
				"A bad one: I couldn't find how to change the language of the interviews.",
			}},
			{"How many people on your team are using it now?", []string{
				"Three of us, including me. Two more should join next week.",
				"Just me for now. I want to get it right before I show the others.",
			}},
			{"What would help you bring the rest of the team on board?", []string{
				"A short video walkthrough I could share in our team channel.",
				"Being able to set up their accounts with the right permissions in one go.",
			}},
			{"Is there a feature you expected but couldn't find?", []string{
				"Single sign-on. Our security team will ask about it soon.",
				"A way to tag interviews by project.",
			}},
			{"How confident do you feel about running your first real project?", []string{
				"Fairly confident. We plan to start one on Monday.",
				"Not quite yet. I'd like one more practice run first.",
			}},
			{"What would make the next week easier?", []string{
				"A checklist of what to do before the first project launches.",
				"A quick call with someone who can review our setup.",
			}},
			{"Would a session with one of our specialists be useful?", []string{
				"Yes, please. Thursday afternoon would work best.",
				"Maybe later. Let me see how far I get on my own first.",
			}},
		},
		closing: exchange{"Great, I've noted everything. Is there anything else on your mind?", []string{
			"No, that's all for now. Thanks for checking in.",
			"Just keep the help centre up to date, please.",
		}},
		signOff: "Thanks for your time. Good luck with your first project!",
	},
	"Candidate Screening": {
		exchanges: []exchange{
			{"Hello, and thanks for applying. Could you walk me through your background?", []string{
				"Sure. I've been a backend engineer for six years, mostly Go and PostgreSQL at a payments company.",
				"Of course. I started in data engineering and moved to platform work about three years ago.",
			}},
			{"What drew you to this role in particular?", []string{
				"The focus on reliability. I enjoy the work that keeps systems running at scale.",
				"The product itself. I've used tools like this and I'd like to help build one.",
			}},
			{"Tell me about a system you designed that you are proud of. What did it do?", []string{
				"A ledger service that handles a few thousand transactions a second with exactly-once processing.",
				"An internal job scheduler that replaced a pile of cron jobs across forty servers.",
			}},
			{"What was the hardest trade-off in that design?", []string{
				"Consistency against latency. We accepted a few extra milliseconds to avoid double processing.",
				"Building it ourselves instead of adopting an existing tool. That cost us two extra months.",
			}},
			{"How do you approach debugging a production incident?", []string{
				"I start with what changed: deploys, configuration and traffic. Then I narrow it down with metrics and traces.",
				"First I stop the bleeding with a rollback or a feature flag, then I dig into the logs.",
			}},
			{"Can you describe an incident you handled recently?", []string{
				"A connection pool ran dry after a deploy doubled the queries per request. We rolled back within ten minutes.",
				"A certificate expired on an internal service. I renewed it and then automated the renewals.",
			}},
			{"How do you work with people who disagree with your technical approach?", []string{
				"I ask them to write down their concerns, and we usually settle it with a small prototype.",
				"I try to agree on the criteria first. Once we agree on what matters, the choice is usually easy.",
			}},
			{"How do you keep your skills up to date?", []string{
				"I read design documents from other teams and contribute to an open-source database driver.",
				"Mostly through conference talks, and by rewriting small tools in languages I'm learning.",
			}},
			{"What are you looking for in your next role?", []string{
				"A team that owns its services end to end, with time to fix things properly.",
				"More responsibility for architecture, and a chance to mentor junior engineers.",
			}},
			{"What kind of team environment helps you do your best work?", []string{
				"Small teams, written decisions and few meetings.",
				"One where people review each other's work kindly and share on-call fairly.",
			}},
			{"What are your salary expectations for this position?", []string{
				"Somewhere near the top of the range you published would be right for me.",
				"I'm flexible. I'd like to understand the whole package before naming a number.",
			}},
			{"When could you start?", []string{
				"I have a one-month notice period, so early next month.",
				"In about six weeks, once my current project ships.",
			}},
		},
		closing: exchange{"Thank you. Do you have any questions for us at this stage?", []string{
			"Just one: I'd like to hear more about the on-call rotation, but that can wait for the next round.",
			"Not right now, thank you. You've covered everything I wanted to know.",
		}},
		signOff: "Thanks for your time. We'll be in touch about the next steps within a week.",
	},
	"NPS Follow-up": {
		exchanges: []exchange{
			{"Thanks for your recent rating. What was the main reason for your score?", []string{
				"I gave you a nine because the product just works and saves me time every day.",
				"I gave a five. It does the job, but it's been slow for us lately.",
			}},
			{"What would have made your score one point higher?", []string{
				"Faster loading on the reports page, especially at the start of the month.",
				"A mobile app that's as complete as the web version.",
			}},
			{"How long have you been using the product?", []string{
				"About two years now, since our team was five people.",
				"Only since the spring, so about six months.",
			}},
			{"Which feature do you rely on the most?", []string{
				"The shared dashboards. Our whole team starts the day there.",
				"The automatic reminders. They save me a lot of follow-up emails.",
			}},
			{"Has anything frustrated you recently?", []string{
				"The last redesign moved the export button, and it took me a while to find it.",
				"Support took three days to answer a billing question last month.",
			}},
			{"What is the one thing we should improve first?", []string{
				"Performance. Everything else is good enough.",
				"Permissions. I need to give contractors access to a single project.",
			}},
			{"How does our product compare with others you've used?", []string{
				"It's simpler than most, which is why our team actually uses it.",
				"It's on par. The main difference is the price.",
			}},
			{"Have you recommended us to anyone?", []string{
				"Yes, two friends at other startups signed up after I showed them.",
				"Not yet. I'd like to see the slowness fixed first.",
			}},
			{"Who else on your team uses the product?", []string{
				"Everyone in operations, about fifteen people.",
				"Mostly the managers. The rest of the team just receives the reports.",
			}},
			{"How likely are you to keep using the product next quarter?", []string{
				"Very likely. It's part of how we work now.",
				"Likely, unless the renewal price goes up again.",
			}},
			{"If you could add one feature tomorrow, what would it be?", []string{
				"Scheduled exports straight to our data warehouse.",
				"Comments on individual reports, so discussions stay in one place.",
			}},
			{"Would you be open to testing new features before they launch?", []string{
				"Sure, I'd enjoy that. Feel free to email me.",
				"Yes, as long as it takes less than an hour a month.",
			}},
		},
		closing: exchange{"Thanks, this is great feedback. Is there anything we didn't ask that we should have?", []string{
			"No, I think you covered it all.",
			"Maybe ask about the invoices. They confuse our finance team.",
		}},
		signOff: "Thanks again for taking the time to explain your score.",
	},
	"Pricing Research": {
		exchanges: []exchange{
			{"Thanks for joining. Which plan are you on today?", []string{
				"We're on the Team plan, with about twelve seats.",
				"Still the free plan. We've been testing it with a few people.",
			}},
			{"How did you choose that plan?", []string{
				"It was the cheapest one with the integrations we needed.",
				"We wanted to see how the team used it before committing any budget.",
			}},
			{"Which features do you use every week?", []string{
				"The shared inbox and the reporting, mostly.",
				"Templates and the calendar integration.",
			}},
			{"Which of those would be hardest to give up?", []string{
				"The reporting. We send those numbers to leadership every Friday.",
				"The calendar integration. Scheduling by hand was a real pain before.",
			}},
			{"What would make the next plan up worth it for you?", []string{
				"Single sign-on and audit logs. Our security team keeps asking for both.",
				"More automation runs. We hit the monthly limit in the second week.",
			}},
			{"How much would you expect to pay for that?", []string{
				"Maybe twenty percent more per seat, not the doubling it is today.",
				"Around fifteen dollars per user a month would feel fair.",
			}},
			{"Who signs off on a purchase like that at your company?", []string{
				"Our finance director, for anything over a thousand a month.",
				"I can approve it myself up to a certain amount.",
			}},
			{"How does our price compare to the alternatives you considered?", []string{
				"You're a bit more expensive, but the setup was much faster.",
				"About the same. The free tier is what made us try you first.",
			}},
			{"Would you prefer to pay monthly or yearly?", []string{
				"Yearly, if there's a real discount. It makes budgeting easier.",
				"Monthly. Our headcount changes too often to commit for a year.",
			}},
			{"How would you feel about pricing based on usage instead of seats?", []string{
				"Nervous. It makes the bill hard to predict.",
				"Interested. Some of our seats are barely used.",
			}},
			{"What would make you downgrade or cancel?", []string{
				"Another price increase without new features.",
				"A tool we already pay for starting to do the same thing.",
			}},
			{"If we introduced an add-on just for reporting, would you consider it?", []string{
				"Yes, if it cost less than upgrading the whole plan.",
				"Probably not. Add-ons tend to add up quickly.",
			}},
		},
		closing: exchange{"That's everything on my list. Anything else you'd like to share about pricing?", []string{
			"No, that's all. Thanks for asking before changing anything.",
			"Just that clearer limits on the pricing page would help a lot.",
		}},
		signOff: "Thank you, this will really help us shape the plans.",
	},
}
