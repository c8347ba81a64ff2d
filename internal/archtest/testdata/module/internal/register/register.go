package register

const q = `SELECT pin FROM persons JOIN households ON households.id = persons.household_id`
