/**
 * Loads every part of the page, then marks the body `data-loaded` (what the browser tests wait for).
 */
export const mainScript = String.raw`
  Promise.all([
    api('status').then(showStatus),
    api('score').then(showScore),
    api('requirements').then(showRequirements),
    api(customersPath()).then(showCustomers),
    api('findings?state=open').then(showFindings),
    api('principals?top=100').then(showPrincipals),
    Promise.all([api('waivers'), api('waivers?expiringWithinDays=' + waiverSoonDays)]).then(function (answers) { showWaivers(answers[0], answers[1]); }),
    api('waiver-audit?top=50').then(showWaiverAudit),
  ]).then(function () { document.body.setAttribute('data-loaded', 'true'); }, function (error) { fail(error); document.body.setAttribute('data-loaded', 'error'); });
`;
