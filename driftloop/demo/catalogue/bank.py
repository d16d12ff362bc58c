"""Demo app ``bank-support``: the customer-support assistant of a retail bank."""

from __future__ import annotations

from driftloop.demo.catalogue.spec import AppSpec, Deployment, Topic

_TOPICS = (
    Topic(
        "card_lost",
        prompts=(
            "I lost my {card} {when}, what should I do?",
            "My {card} was stolen {when}. How do I block it?",
            "How can I freeze my {card} in {app_area}?",
            "Can I get a replacement {card} sent to {place}?",
            "I think I left my {card} at {venue}. Should I cancel it?",
            "How long does a new {card} take to arrive after I report it lost?",
            "someone took my wallet {when} with my {card} inside, help",
            "I found my {card} again after reporting it lost, can I still use it?",
            "My {card} went missing {when} near {venue}, can you block it and send a new one to {place}?",
        ),
        responses=(
            "I'm sorry to hear that. You can freeze your {card} straight away in {app_area} under Cards > "
            "Freeze. Once it's frozen, order a replacement from the same screen; it usually arrives in 3 to 5 "
            "working days.",
            "Please block the {card} now: open {app_area}, choose the card and tap 'Report lost or stolen'. "
            "This cancels it for good and a new card is sent to the address we hold for you.",
            "If you're not sure it's gone, freeze the {card} temporarily in {app_area}. You can unfreeze it if "
            "it turns up, or report it stolen to get a replacement with a new number.",
            "A reported {card} can't be reactivated, but the replacement keeps your PIN. You can start using "
            "the new card's details in {app_area} before the plastic arrives.",
        ),
        slots={
            "card": ("debit card", "credit card", "contactless card", "business card", "Visa card", "Mastercard"),
            "when": ("this morning", "yesterday", "last night", "an hour ago", "on the train", "at the weekend"),
            "place": ("my work address", "a new address", "my parents' house", "a branch", "my hotel abroad"),
            "venue": ("a restaurant", "a petrol station", "the gym", "a taxi", "the supermarket", "a bar"),
        },
        weight=1.3,
        thumbs_down=0.08,
    ),
    Topic(
        "card_declined",
        prompts=(
            "Why was my {card} declined at {merchant}?",
            "My card keeps getting declined {where}.",
            "A payment of {amount} failed at {merchant} but there's money in my {account}.",
            "Is there a problem with contactless payments today? My {card} isn't working.",
            "Why can't I pay online with my {card}?",
            "Transaction declined: what does error code {code} mean?",
            "card declined {where} again, what is going on",
            "My {card} was declined {where} for {amount} with error {code}.",
        ),
        responses=(
            "Declines are most often caused by the daily spending limit, a security check or an expired card. "
            "Check {app_area} for a notification about the payment; if it was a security check, confirming "
            "it's you lets the payment go through.",
            "Code {code} means the payment was declined by the card issuer. Try again after confirming the "
            "payment in {app_area}, and contact us if it keeps happening with your {card}.",
            "Payments {where} can be blocked by your card controls. In {app_area}, go to Cards > Controls and "
            "check that online and overseas payments are switched on.",
        ),
        slots={
            "card": ("debit card", "credit card", "Visa card", "Mastercard", "virtual card"),
            "merchant": ("Amazon", "a hotel", "the petrol station", "an online shop", "the airport", "Uber"),
            "where": ("abroad", "online", "in shops", "at cash machines", "in the US", "in France"),
            "code": ("05", "51", "54", "57", "61", "65", "N7"),
        },
        weight=1.2,
        thumbs_down=0.16,
    ),
    Topic(
        "international_transfer",
        prompts=(
            "How do I send {amount} to {country}?",
            "What exchange rate do you use for sending money to {country}?",
            "How long does an international transfer to {country} take?",
            "I need your SWIFT/BIC code to receive money from {country}.",
            "My transfer to {country} hasn't arrived after {days}.",
            "Is there a fee for sending {amount} abroad?",
            "can i pay someone in {country} from my {account}",
            "I sent {amount} to {country} from my {account} {days} ago and it still hasn't arrived.",
        ),
        responses=(
            "You can send money to {country} from {app_area} under Payments > International. Transfers "
            "usually arrive within 1 to 2 working days, and you'll see the rate and the fee before you confirm.",
            "International payments carry a flat fee plus the exchange margin shown at checkout. For {amount} "
            "the exact amount the recipient in {country} gets is displayed before you approve.",
            "If a payment to {country} hasn't arrived after {days}, check the IBAN and SWIFT/BIC code you "
            "entered. You can ask for a trace in {app_area} and we'll contact the receiving bank.",
        ),
        slots={
            "country": (
                "Spain",
                "India",
                "Nigeria",
                "Canada",
                "the Philippines",
                "Poland",
                "Mexico",
                "Germany",
                "Australia",
                "Kenya",
                "Brazil",
                "Japan",
            ),
        },
        thumbs_down=0.14,
    ),
    Topic(
        "transfer_limits",
        prompts=(
            "What is the daily transfer limit on my {account}?",
            "Can I increase my limit so I can send {amount} today?",
            "Why can't I transfer more than {amount} at once?",
            "How do I raise my cash machine withdrawal limit?",
            "Is there a limit on payments to new payees?",
            "I need to pay {payee} {amount}, but the app says I've hit my limit.",
            "Can I pay {payee} {amount} from my {account} in {app_area} today?",
        ),
        responses=(
            "The standard daily limit for online payments from a {account} is shown in {app_area} under "
            "Payments > Limits. For a one-off larger payment to {payee}, you can request a temporary increase.",
            "To send more than your limit, ask for a temporary increase in {app_area}; we may call you to check "
            "the payment first. Larger amounts can also be sent from a branch.",
            "Payments to new payees are capped for the first 24 hours as a fraud protection. After that your "
            "usual limit applies, and you can raise it from {app_area}.",
        ),
        slots={
            "payee": ("my landlord", "a solicitor", "a builder", "my daughter", "a car dealer", "the tax office"),
        },
        weight=0.8,
        thumbs_down=0.2,
    ),
    Topic(
        "account_opening",
        prompts=(
            "How do I open a {account}?",
            "What documents do I need to open a {account}?",
            "Can I open a {account} online if I'm {status}?",
            "Is there a minimum deposit for a {account}?",
            "How long does it take to open a {account}?",
            "Can I open an account for my {relative}?",
        ),
        responses=(
            "You can open a {account} in {app_area} in about ten minutes. You'll need photo ID and proof of "
            "address, and most applications are approved the same day.",
            "Yes, being {status} doesn't stop you applying. We'll ask for photo ID and proof of address; if "
            "you don't have a utility bill, a tenancy agreement or official letter works too.",
            "There's no minimum deposit for a {account}. Once it's open you can add money by transfer or at "
            "any branch.",
            "For your {relative}, the account holder usually needs to apply themselves, but you can start a "
            "joint or junior application from {app_area} or at a branch.",
        ),
        slots={
            "status": ("a student", "self-employed", "new to the country", "under 18", "retired", "a non-resident"),
            "relative": ("son", "daughter", "elderly mother", "partner", "small business"),
        },
        thumbs_down=0.09,
    ),
    Topic(
        "fees_charges",
        prompts=(
            "Why was I charged {fee_amount} on my {account}?",
            "What is this {fee} on my statement?",
            "Can you refund the {fee}? It's the first time it's happened.",
            "Are there fees for using my card abroad?",
            "How much is the monthly fee for a {account}?",
            "I was charged a {fee} of {fee_amount}, that seems wrong",
        ),
        responses=(
            "A {fee} of {fee_amount} is applied under the terms of your {account}. You can see the breakdown "
            "by tapping the transaction in {app_area}.",
            "I can see why that's frustrating. If this is the first {fee} in the last 12 months, you can ask "
            "for a one-off refund from {app_area} under Help > Charges.",
            "Card payments abroad carry a foreign transaction fee unless your {account} includes fee-free "
            "spending. The fee is shown next to each payment in {app_area}.",
        ),
        slots={
            "fee": (
                "overdraft fee",
                "foreign transaction fee",
                "monthly account fee",
                "late payment fee",
                "cash machine fee",
                "returned payment fee",
            ),
            "fee_amount": ("£5", "$12", "€3.50", "£25", "$35", "£8.99"),
        },
        thumbs_down=0.27,
    ),
    Topic(
        "mortgages",
        prompts=(
            "What are your current mortgage rates for a {term} fix?",
            "Can I get a mortgage with a {deposit} deposit?",
            "How much could I borrow on a salary of {salary}?",
            "I want to remortgage my house, what do I need?",
            "Can I overpay my mortgage without a penalty?",
            "What happens to my rate when my {term} fix ends?",
        ),
        responses=(
            "Our {term} fixed rates depend on your deposit and the property value. With a {deposit} deposit "
            "you can see personalised rates in {app_area} without affecting your credit score.",
            "As a rough guide, we lend up to 4.5 times income, so a salary of {salary} gives an idea of the "
            "range. A mortgage adviser can confirm what you could borrow.",
            "You can overpay up to 10% of the balance each year without a charge during a {term} fix. When the "
            "fix ends you move to the standard variable rate unless you choose a new deal.",
        ),
        slots={
            "term": ("two-year", "five-year", "ten-year", "three-year"),
            "deposit": ("5%", "10%", "15%", "25%", "40%"),
            "salary": ("£35,000", "$60,000", "£52,000", "$95,000", "£28,000"),
        },
        weight=0.7,
        thumbs_down=0.18,
    ),
    Topic(
        "personal_loans",
        prompts=(
            "Can I get a personal loan of {amount} for {purpose}?",
            "What's the interest rate on a {amount} loan over {years}?",
            "Will applying for a loan for {purpose} affect my credit score?",
            "How quickly is the money paid out if my loan is approved?",
            "Can I pay off my loan early?",
            "loan for {purpose}, how much can i get",
        ),
        responses=(
            "You can check your rate for a {amount} loan over {years} in {app_area}; it's a soft search, so it "
            "won't affect your credit score. If approved, the money usually arrives the same day.",
            "Loans for {purpose} are available from £1,000 to £25,000. The rate you're offered depends on the "
            "amount, the term and your credit history.",
            "You can repay early at any time from {app_area}. There may be a charge of up to 58 days' "
            "interest, which is shown before you confirm.",
        ),
        slots={
            "purpose": ("a car", "home improvements", "a wedding", "consolidating debts", "a new kitchen"),
            "years": ("two years", "three years", "five years", "12 months"),
        },
        weight=0.7,
        thumbs_down=0.15,
    ),
    Topic(
        "login_access",
        prompts=(
            "I can't log in to {app_area}.",
            "I forgot my password for {app_area}.",
            "My account is locked after {attempts} wrong attempts.",
            "I'm not getting the verification code on my {device}.",
            "How do I set up {app_area} on my new {device}?",
            "The app crashes every time I open it on my {device}.",
            "locked out of online banking again!!",
        ),
        responses=(
            "If you're locked out, tap 'Forgotten your details?' on the login screen of {app_area}. You'll "
            "confirm your identity with your card and a code sent to your {device}.",
            "Verification codes can be delayed by poor signal. Check the number we hold for you is right, and "
            "make sure your {device} isn't blocking messages from unknown senders.",
            "To move to a new {device}, install the app, log in with your customer number and confirm with "
            "your card reader or a code. Your old device is signed out automatically.",
            "Sorry about the crashes. Please update the app and restart your {device}; if it still happens, "
            "reinstalling won't affect your account.",
        ),
        slots={
            "attempts": ("three", "five", "too many"),
            "device": ("iPhone", "Android phone", "tablet", "new phone", "laptop", "Samsung"),
        },
        weight=1.4,
        thumbs_down=0.22,
    ),
    Topic(
        "fraud_scams",
        prompts=(
            "I see a payment of {amount} to {merchant} that I didn't make.",
            "I got a text saying my account is suspended, is it from you?",
            "Someone called pretending to be from the bank and asked for my {secret}.",
            "I think I've been scammed, I sent {amount} to {payee}.",
            "How do I report a suspicious e-mail?",
            "there's a transaction to {merchant} I don't recognise",
        ),
        responses=(
            "Please freeze your card in {app_area} now and report the payment to {merchant} as unrecognised. "
            "We'll investigate and you won't be liable for payments you didn't authorise.",
            "We never ask for your {secret} by phone, text or e-mail. Don't reply to that message; forward it "
            "to our fraud team and delete it.",
            "I'm sorry this happened. Call the number on the back of your card straight away so we can try to "
            "recover the {amount}, and don't make any more payments to {payee}.",
        ),
        slots={
            "secret": ("PIN", "one-time passcode", "card number", "password", "security answers"),
            "merchant": ("an online shop", "a streaming service", "a casino site", "a travel agent", "Uber"),
            "payee": ("an online seller", "someone on a dating site", "a fake delivery company", "an investment"),
        },
        thumbs_down=0.12,
    ),
    Topic(
        "statements",
        prompts=(
            "How do I download my statement for {month}?",
            "I need a bank statement for {reason}.",
            "Can I get paper statements instead of online ones?",
            "Where can I find my {account} number and sort code?",
            "How far back can I see transactions in {app_area}?",
        ),
        responses=(
            "Statements are in {app_area} under Accounts > Statements. Pick {month} and download the PDF; it "
            "is accepted as an official statement for {reason}.",
            "You can switch to paper statements in {app_area} under Settings > Statements, or ask at a branch. "
            "They're sent monthly to the address we hold.",
            "Your {account} number and sort code are shown at the top of the account page in {app_area}. "
            "Transactions go back seven years.",
        ),
        slots={
            "month": ("January", "March", "last month", "the last six months", "the tax year", "October"),
            "reason": (
                "a visa application",
                "a mortgage application",
                "renting a flat",
                "an accountant",
                "a student loan",
            ),
        },
        weight=0.9,
        thumbs_down=0.07,
    ),
    Topic(
        "savings",
        prompts=(
            "What interest rate do you pay on a {saver}?",
            "How do I move {amount} into my {saver}?",
            "Is my money protected if the bank goes bust?",
            "Can I withdraw from my {saver} without losing interest?",
            "What's the best way to save for {goal}?",
        ),
        responses=(
            "The current rate on our {saver} is shown in {app_area} under Savings. Interest is calculated "
            "daily and paid monthly.",
            "To move {amount} into your {saver}, go to Payments > Move money in {app_area}. It arrives "
            "instantly between your own accounts.",
            "Eligible deposits are protected up to the statutory limit per person. For {goal}, a regular saver "
            "or an ISA can be a good start; a financial adviser can help you choose.",
        ),
        slots={
            "saver": ("easy access saver", "fixed-rate bond", "ISA", "regular saver", "notice account"),
            "goal": ("a house deposit", "retirement", "my kids' future", "a holiday", "an emergency fund"),
        },
        weight=0.8,
        thumbs_down=0.1,
    ),
)

_NEW_TOPICS = (
    Topic(
        "crypto_wallets",
        prompts=(
            "How do I move my {coin} from {exchange} to a hardware wallet?",
            "What's the safest wallet for storing {coin}?",
            "I lost the seed phrase for my {coin} wallet, can it be recovered?",
            "Should I buy {coin} now or wait for the dip?",
            "How do gas fees work when sending {coin}?",
            "Can you help me set up a {coin} wallet on my phone?",
            "Is staking {coin} on {exchange} safe?",
        ),
        responses=(
            "I can only give general information here: a hardware wallet keeps your {coin} keys offline. "
            "Write down the seed phrase and never share it with anyone.",
            "Network fees for sending {coin} depend on how busy the network is. Check the fee {exchange} shows "
            "before you confirm.",
            "A lost seed phrase usually can't be recovered, so treat any service offering to recover {coin} "
            "for a fee with suspicion.",
        ),
        slots={
            "coin": ("Bitcoin", "Ethereum", "Solana", "USDT", "Dogecoin", "Cardano"),
            "exchange": ("Coinbase", "Binance", "Kraken", "a DeFi app", "my exchange"),
        },
        thumbs_down=0.4,
    ),
    Topic(
        "travel_insurance",
        prompts=(
            "Does my account come with travel insurance for a trip to {destination}?",
            "Am I covered if my flight to {destination} is cancelled?",
            "How do I claim for lost luggage on holiday?",
            "Does the travel insurance cover {activity}?",
            "I need travel insurance for {trip}, what do you recommend?",
        ),
        responses=(
            "Some packaged accounts include travel insurance. For a trip to {destination}, check the policy "
            "documents for what's covered and the excess.",
            "Cover for {activity} is often an optional extra. Read the policy wording or contact the insurer "
            "before you travel.",
            "To claim for lost luggage, get a property irregularity report from the airline and keep receipts, "
            "then contact the insurer within 30 days.",
        ),
        slots={
            "destination": ("Thailand", "the US", "Italy", "Mexico", "Iceland", "Bali"),
            "activity": ("skiing", "scuba diving", "pre-existing conditions", "a cruise", "hiking at altitude"),
            "trip": ("a family of four", "a two-week trip", "a business trip", "a ski holiday"),
        },
        thumbs_down=0.35,
    ),
    Topic(
        "tax_returns",
        prompts=(
            "How do I file my self-assessment tax return?",
            "Can I claim {expense} as a business expense?",
            "When is the deadline for the tax return for {year}?",
            "Do I have to pay tax on {income}?",
            "How do I register as self-employed for tax?",
        ),
        responses=(
            "I can't give tax advice, but in general {income} may need to be declared. The tax authority's "
            "website or an accountant can confirm for {year}.",
            "Whether {expense} counts as an allowable expense depends on how it's used for the business. An "
            "accountant can tell you what you can claim.",
        ),
        slots={
            "expense": ("my home office", "a laptop", "mileage", "my phone bill", "training courses"),
            "year": ("2025", "this tax year", "last year"),
            "income": ("rental income", "money from selling online", "freelance work", "a side business"),
        },
        thumbs_down=0.38,
    ),
)

BANK = AppSpec(
    name="bank-support",
    weight=0.45,
    system_prompt_tokens=420,
    deployments=(
        Deployment("nimbus-8b", "2026-02", 0.5),
        Deployment("nimbus-8b", "2026-05", 0.3),
        Deployment("nimbus-70b", "2026-03", 0.2),
    ),
    topics=_TOPICS,
    new_topics=_NEW_TOPICS,
    slots={
        "account": (
            "current account",
            "savings account",
            "joint account",
            "business account",
            "student account",
            "checking account",
        ),
        "app_area": ("the mobile app", "online banking", "the app", "the banking app"),
        "amount": ("£50", "$200", "€1,500", "300 dollars", "£2,000", "$75", "5,000 euros", "£120", "$12,000"),
        "days": ("two days", "a week", "three days", "five working days", "ten days"),
    },
    refusals=(
        "I'm sorry, I can't help with that here. Please call us on the number on the back of your card.",
        "I'm not able to discuss that. You can speak to an adviser in a branch or by phone.",
        "For your security I can't handle that in chat. Please log in to online banking to continue.",
    ),
    out_of_scope=(
        "I'm the bank's support assistant, so I can only help with your accounts, cards and payments.",
        "That's outside what I can help with. Is there anything about your banking I can do for you?",
    ),
    closers=(
        *("",) * 4,
        "Is there anything else I can help with?",
        "Let me know if you need anything else.",
        "Thanks for banking with us.",
        "I hope that helps.",
    ),
    tiers=(("retail", 0.7), ("premier", 0.2), ("business", 0.1)),
    channels=(("ios", 0.35), ("android", 0.35), ("web", 0.3)),
)
