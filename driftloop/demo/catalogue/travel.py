"""Demo app ``travel-assistant``: a trip-planning and booking assistant."""

from __future__ import annotations

from driftloop.demo.catalogue.spec import AppSpec, Deployment, Topic

_TOPICS = (
    Topic(
        "flight_booking",
        prompts=(
            "Find me a flight from {origin} to {city} on {date}.",
            "What's the cheapest way to fly to {city} {when}?",
            "Are there direct flights from {origin} to {city}?",
            "I need a return flight to {city} for {travellers}, leaving {date}.",
            "Can I book a one-way ticket to {city} and pay later?",
            "flights {origin} to {city} {when}?",
            "Is it cheaper to fly to {city} midweek?",
        ),
        responses=(
            "I found several options from {origin} to {city} on {date}. The cheapest leaves in the morning "
            "with one stop; a direct flight costs a bit more but saves about three hours.",
            "Flights to {city} {when} are usually cheapest on Tuesdays and Wednesdays. I can set a price alert "
            "so you hear when fares drop.",
            "For {travellers}, a return to {city} leaving {date} starts from the fares shown in your results. "
            "Prices are per person and include taxes.",
        ),
        slots={
            "origin": ("London", "New York", "Toronto", "Sydney", "Dublin", "Mumbai", "Chicago", "Manchester"),
            "date": ("March 14", "next Friday", "the 3rd of June", "Christmas Eve", "August 22", "tomorrow"),
            "when": ("in spring", "next month", "over Easter", "this summer", "in October", "at short notice"),
            "travellers": ("two adults", "a family of four", "me and my partner", "three friends", "one adult"),
        },
        weight=1.5,
        thumbs_down=0.13,
    ),
    Topic(
        "baggage",
        prompts=(
            "How much luggage can I take on a {airline} flight?",
            "What's the cabin bag size limit for {airline}?",
            "Can I bring {item} in my hand luggage?",
            "My suitcase didn't arrive in {city}, what do I do?",
            "How much does an extra checked bag cost with {airline}?",
            "is {item} allowed in carry on",
        ),
        responses=(
            "{airline} allows one cabin bag and one small personal item on most fares; checked bags depend on "
            "the fare you booked. Your booking shows the exact allowance.",
            "{item} is usually fine in hand luggage if it follows the liquids and security rules, but check "
            "{airline}'s list of restricted items before you fly.",
            "I'm sorry your bag didn't arrive. Report it at the baggage desk in {city} airport before you leave "
            "and keep the reference; {airline} will deliver it once it's found.",
        ),
        slots={
            "airline": ("Ryanair", "Delta", "British Airways", "Emirates", "easyJet", "Air Canada", "Qantas"),
            "item": ("a laptop", "a power bank", "baby food", "a hair dryer", "medication", "a guitar"),
        },
        weight=1.1,
        thumbs_down=0.12,
    ),
    Topic(
        "hotels",
        prompts=(
            "Find a {style} hotel in {city} for {nights}.",
            "What's a good area to stay in {city} for {purpose}?",
            "Are there hotels near {landmark} with free cancellation?",
            "I need a {style} place in {city} that allows early check-in.",
            "Can you compare two hotels in {city} for me?",
            "hotel {city} {nights} under 150 a night",
        ),
        responses=(
            "Here are a few {style} options in {city} for {nights}, sorted by guest rating. Most include "
            "breakfast and all offer free cancellation up to 48 hours before arrival.",
            "For {purpose}, staying near {landmark} is convenient: it's walkable and well connected by public "
            "transport. I can filter for a {style} hotel there.",
            "Early check-in is never guaranteed, but several {style} hotels in {city} offer it for a small fee. "
            "I'd add a note to the booking.",
        ),
        slots={
            "style": ("family-friendly", "budget", "boutique", "quiet", "luxury", "pet-friendly", "business"),
            "nights": ("two nights", "a week", "the weekend", "three nights", "ten days"),
            "purpose": ("sightseeing", "a conference", "nightlife", "a family trip", "a honeymoon"),
            "landmark": ("the old town", "the main station", "the beach", "the airport", "the convention centre"),
        },
        weight=1.3,
        thumbs_down=0.11,
    ),
    Topic(
        "cancellations_refunds",
        prompts=(
            "How do I cancel my booking to {city} and get a refund?",
            "My flight to {city} was cancelled, am I entitled to compensation?",
            "Can I change the date of my trip without paying a fee?",
            "I cancelled my hotel {days_ago} and still haven't been refunded.",
            "What happens if I miss my connecting flight in {hub}?",
            "refund for cancelled flight??",
        ),
        responses=(
            "You can cancel from My Trips. Whether you get a full refund depends on the fare rules; "
            "refundable fares are paid back to the original card within 7 to 10 days.",
            "If the airline cancelled your flight to {city}, you're entitled to a refund or rebooking, and "
            "possibly compensation depending on the notice given and the route.",
            "Refunds can take up to two billing cycles to appear. Since you cancelled {days_ago}, I've flagged "
            "it so the team can chase the hotel.",
            "If you miss a connection in {hub} on a single booking, the airline must rebook you on the next "
            "available flight at no extra cost.",
        ),
        slots={
            "days_ago": ("two weeks ago", "last month", "ten days ago", "on Monday"),
            "hub": ("Frankfurt", "Dubai", "Amsterdam", "Atlanta", "Heathrow", "Singapore"),
        },
        weight=1.2,
        thumbs_down=0.3,
    ),
    Topic(
        "visas_documents",
        prompts=(
            "Do I need a visa to visit {country} with a {passport} passport?",
            "How long does a tourist visa for {country} take?",
            "My passport expires in {months}, can I still travel to {country}?",
            "What documents do I need to bring to {country}?",
            "Can I travel to {country} with a child who has a different surname?",
        ),
        responses=(
            "Rules change often, so please check the official government site, but holders of a {passport} "
            "passport can currently visit {country} for short tourist stays with an electronic authorisation.",
            "Many countries, {country} included, require your passport to be valid for at least six months "
            "after arrival. With {months} left, renewing first is the safer choice.",
            "For {country} you'll generally need a valid passport, a return ticket and proof of "
            "accommodation. A letter of consent is recommended for children travelling with one parent.",
        ),
        slots={
            "country": ("Japan", "the United States", "Schengen countries", "Australia", "India", "Brazil"),
            "passport": ("British", "Canadian", "Indian", "Irish", "Australian", "American"),
            "months": ("three months", "five months", "a year", "six weeks"),
        },
        thumbs_down=0.2,
    ),
    Topic(
        "itinerary_planning",
        prompts=(
            "Plan a {length} itinerary for {city}.",
            "What should I see in {city} if I only have {length}?",
            "Is {length} enough for {city} and {city2}?",
            "Suggest a {style} trip for {travellers} in {season}.",
            "What are the must-see things near {city}?",
            "things to do in {city} with kids",
        ),
        responses=(
            "Here's a {length} plan for {city}: start with the historic centre on day one, a museum and a food "
            "market on day two, and keep the last day for a day trip or shopping.",
            "With {length}, you can do {city} and {city2} comfortably if you take the train between them; "
            "spend at least two full days in each.",
            "For a {style} trip in {season}, I'd pick {city}: mild weather, good value and plenty to do for "
            "{travellers}.",
        ),
        slots={
            "length": ("three days", "a weekend", "one week", "48 hours", "five days"),
            "city2": ("Florence", "Kyoto", "Porto", "Vienna", "Montreal", "Edinburgh"),
            "style": ("relaxed", "adventurous", "budget", "food-focused", "romantic"),
            "season": ("spring", "winter", "the school holidays", "autumn"),
            "travellers": ("a couple", "a family with teenagers", "a group of friends", "a solo traveller"),
        },
        weight=1.3,
        thumbs_down=0.14,
    ),
    Topic(
        "car_rental",
        prompts=(
            "I want to rent a car in {city} for {length}.",
            "Do I need an international driving permit to rent a car in {city}?",
            "What insurance do I need when I hire a car?",
            "Can I pick up a rental car in {city} and drop it off in {city2}?",
            "Is there an age limit for renting a car? I'm {age}.",
        ),
        responses=(
            "There are several rental desks at {city} airport. For {length}, a compact car is usually the best "
            "value; full-to-full fuel policies avoid surprise charges.",
            "One-way rentals from {city} to {city2} are possible with most companies but carry a drop-off fee, "
            "which is shown before you book.",
            "Drivers aged {age} can usually rent, though a young or senior driver fee may apply. Check the "
            "terms for excess insurance before you pay at the desk.",
        ),
        slots={
            "length": ("three days", "a week", "the weekend", "ten days"),
            "city2": ("Lisbon", "Nice", "Munich", "San Diego", "Galway", "Perth"),
            "age": ("19", "23", "24", "72", "78"),
        },
        weight=0.7,
        thumbs_down=0.15,
    ),
    Topic(
        "loyalty_points",
        prompts=(
            "How many points do I have on my {programme} account?",
            "Can I use points to upgrade my flight to {city}?",
            "My points from my last trip to {city} haven't been added.",
            "When do my {programme} points expire?",
            "How do I get {status} status?",
        ),
        responses=(
            "Your {programme} balance is shown under Account > Rewards. Points from a trip are added within "
            "six weeks of travel; you can claim missing ones with your booking reference.",
            "Upgrades with points depend on availability in the higher cabin. For your flight to {city}, "
            "you can check upgrade prices in My Trips.",
            "{programme} points expire after 24 months without activity, and {status} status needs a set "
            "number of qualifying flights in a year.",
        ),
        slots={
            "programme": ("SkyMiles", "Avios", "travel rewards", "hotel loyalty", "frequent flyer"),
            "status": ("silver", "gold", "platinum", "elite"),
        },
        weight=0.7,
        thumbs_down=0.24,
    ),
    Topic(
        "travelling_with_pets",
        prompts=(
            "Can I take my {pet} on a plane to {city}?",
            "What paperwork does my {pet} need to travel to {country}?",
            "Are there pet-friendly hotels in {city}?",
            "How do I book a seat for my {pet} in the cabin?",
        ),
        responses=(
            "Small {pet}s can often travel in the cabin in an approved carrier; larger animals travel in the "
            "hold. Book the pet place when you book your flight, as spaces are limited.",
            "To take a {pet} to {country} you'll usually need a microchip, up-to-date vaccinations and a health "
            "certificate issued shortly before travel.",
            "Yes, I found pet-friendly hotels in {city}. Some charge a small nightly fee for a {pet}.",
        ),
        slots={
            "pet": ("dog", "cat", "puppy", "rabbit", "service dog"),
            "country": ("France", "Ireland", "Canada", "Spain", "the UK"),
        },
        weight=0.5,
        thumbs_down=0.17,
    ),
    Topic(
        "weather_best_time",
        prompts=(
            "When is the best time to visit {city}?",
            "What's the weather like in {city} in {month}?",
            "Is {month} a good month for a beach holiday in {beach}?",
            "Will it be too hot in {beach} in {month}?",
            "what to pack for {city} in {month}",
        ),
        responses=(
            "The best time to visit {city} is usually late spring or early autumn: pleasant temperatures and "
            "fewer crowds than in summer.",
            "In {month}, {beach} is typically warm and mostly dry, though short showers are possible. Pack "
            "light layers and sun cream.",
            "{city} in {month} can be changeable, so bring a light jacket and comfortable shoes for walking.",
        ),
        slots={
            "month": ("January", "April", "July", "September", "November", "December"),
            "beach": ("Bali", "the Algarve", "Cancun", "Crete", "the Maldives", "Phuket"),
        },
        thumbs_down=0.09,
    ),
    Topic(
        "seats_upgrades",
        prompts=(
            "Can I choose my seat on the flight to {city} for free?",
            "How do I get an exit row seat?",
            "We're {travellers}, can we sit together without paying?",
            "Is it worth paying for premium economy to {city}?",
            "can i upgrade at the airport",
        ),
        responses=(
            "Free seat selection opens at check-in, 24 hours before departure. To choose earlier, or to get an "
            "exit row, there's a fee shown in My Trips.",
            "Airlines try to seat {travellers} together, and children are always seated next to an adult. "
            "Selecting seats in advance is the only guarantee.",
            "On a long flight to {city}, premium economy gives more legroom and better meals; whether it's worth "
            "it depends on the price difference.",
        ),
        slots={
            "travellers": ("a family of four", "two adults", "a couple", "three friends", "a parent and baby"),
        },
        weight=0.8,
        thumbs_down=0.2,
    ),
)

_NEW_TOPICS = (
    Topic(
        "cooking_recipes",
        prompts=(
            "Give me a quick recipe for {dish}.",
            "How do I make {dish} without {ingredient}?",
            "What can I cook with {ingredient} and rice?",
            "How long should I roast a {meat} for?",
            "What's a good vegetarian alternative to {dish}?",
        ),
        responses=(
            "For a quick {dish}, fry onion and garlic, add the main ingredients, season well and simmer for 20 "
            "minutes. You can leave out {ingredient} or swap it for something similar.",
            "A {meat} generally needs about 20 minutes per 500 g at 180 °C, plus resting time. Use a "
            "thermometer to be sure.",
        ),
        slots={
            "dish": ("lasagne", "a curry", "pancakes", "banana bread", "risotto", "chilli"),
            "ingredient": ("eggs", "butter", "chickpeas", "spinach", "coconut milk", "cheese"),
            "meat": ("chicken", "leg of lamb", "pork shoulder", "beef joint"),
        },
        thumbs_down=0.38,
    ),
    Topic(
        "smartphone_help",
        prompts=(
            "My {phone} battery drains really fast, how do I fix it?",
            "How do I back up my photos from my {phone}?",
            "My {phone} won't connect to wifi.",
            "How do I free up storage on my {phone}?",
            "The screen on my {phone} keeps freezing.",
        ),
        responses=(
            "Battery drain on your {phone} is often caused by background apps and screen brightness. Check the "
            "battery settings to see which apps use the most.",
            "To back up your {phone}, turn on cloud photo backup in settings or copy the photos to a computer "
            "with a cable.",
        ),
        slots={"phone": ("iPhone", "Pixel", "Samsung phone", "Android phone", "old phone")},
        thumbs_down=0.4,
    ),
    Topic(
        "job_interviews",
        prompts=(
            "How should I prepare for a {role} interview?",
            "What questions do they ask in a {role} interview?",
            "How do I answer 'what is your biggest weakness' for a {role} job?",
            "Should I ask about salary in a first interview for {role}?",
            "Write a thank-you e-mail after my {role} interview.",
        ),
        responses=(
            "For a {role} interview, research the company, prepare two or three examples using the situation, "
            "task, action, result structure and have questions ready for them.",
            "Common {role} interview questions cover your experience, a difficult situation you handled and why "
            "you want the job.",
        ),
        slots={"role": ("nursing", "software engineer", "marketing", "teaching", "sales", "data analyst")},
        thumbs_down=0.36,
    ),
)

TRAVEL = AppSpec(
    name="travel-assistant",
    weight=0.35,
    system_prompt_tokens=610,
    deployments=(
        Deployment("cirrus-mini", "2026-01", 0.7),
        Deployment("cirrus-mini", "2026-04", 0.3),
    ),
    topics=_TOPICS,
    new_topics=_NEW_TOPICS,
    slots={
        "city": (
            "Paris",
            "Rome",
            "Tokyo",
            "Barcelona",
            "Lisbon",
            "New York",
            "Bangkok",
            "Cape Town",
            "Reykjavik",
            "Vancouver",
            "Prague",
            "Marrakesh",
            "Dubai",
            "Melbourne",
        ),
        "country": ("Japan", "Thailand", "the United States", "Morocco", "Canada", "Vietnam"),
        "travellers": ("two adults", "a family of four", "a couple", "three friends"),
        "month": ("March", "June", "August", "October", "December"),
        "length": ("three days", "a week", "five days"),
        "city2": ("Florence", "Kyoto", "Porto", "Vienna"),
    },
    refusals=(
        "Sorry, I can't make changes to that booking here. Please contact the airline directly.",
        "I'm not able to help with that request. Our support team can assist by phone.",
        "I can't look that up right now. Please try again later.",
    ),
    out_of_scope=(
        "I'm a travel assistant, so I can help with flights, hotels and trip planning, but not with that.",
        "That's not something I can help with. Are you planning a trip I can help you with?",
    ),
    closers=(
        *("",) * 4,
        "Have a great trip!",
        "Want me to look for more options?",
        "Shall I hold this for you?",
        "Safe travels.",
    ),
    tiers=(("free", 0.75), ("plus", 0.2), ("business", 0.05)),
    channels=(("web", 0.45), ("ios", 0.25), ("android", 0.2), ("whatsapp", 0.1)),
)
