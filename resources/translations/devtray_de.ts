<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE" sourcelanguage="en_US">
<context>
    <name>CostAndAutostop</name>
    <message>
        <source>Keep running tonight</source>
        <translation>Heute Abend weiterlaufen lassen</translation>
    </message>
    <message>
        <source>Stop now</source>
        <translation>Jetzt stoppen</translation>
    </message>
</context>
<context>
    <name>DayActions</name>
    <message>
        <source>Add project folder</source>
        <translation>Projektordner hinzufügen</translation>
    </message>
    <message>
        <source>Click to {action}.</source>
        <translation>Klicken: {action}.</translation>
    </message>
</context>
<context>
    <name>DayRunner</name>
    <message>
        <source>{vm} is ready</source>
        <translation>{vm} ist bereit</translation>
    </message>
    <message>
        <source>{project} on {alias}:{path}</source>
        <translation>{project} auf {alias}:{path}</translation>
    </message>
    <message>
        <source>Start cancelled</source>
        <translation>Start abgebrochen</translation>
    </message>
    <message>
        <source>Nothing was left running.</source>
        <translation>Es läuft nichts mehr.</translation>
    </message>
    <message>
        <source>{vm} stopped</source>
        <translation>{vm} gestoppt</translation>
    </message>
    <message>
        <source>Open in {ide}</source>
        <translation>In {ide} öffnen</translation>
    </message>
</context>
<context>
    <name>DaySetupDialog</name>
    <message>
        <source>Set up your day</source>
        <translation>Arbeitstag einrichten</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Auswählen…</translation>
    </message>
    <message>
        <source>Write .devtray.toml into the folder (your team shares it)</source>
        <translation>.devtray.toml in den Ordner schreiben (Ihr Team teilt sie)</translation>
    </message>
    <message>
        <source>Pick your VM and your project folder. Then one click on Start my day starts the VM, syncs the folder to it and opens it in your IDE.</source>
        <translation>Wählen Sie Ihre VM und Ihren Projektordner. Danach startet ein Klick auf „Arbeitstag starten“ die VM, synchronisiert den Ordner dorthin und öffnet ihn in Ihrer IDE.</translation>
    </message>
    <message>
        <source>VM</source>
        <translation>VM</translation>
    </message>
    <message>
        <source>Project folder</source>
        <translation>Projektordner</translation>
    </message>
    <message>
        <source>IDE</source>
        <translation>IDE</translation>
    </message>
    <message>
        <source>Folder on the VM</source>
        <translation>Ordner auf der VM</translation>
    </message>
    <message>
        <source>Choose a folder.</source>
        <translation>Wählen Sie einen Ordner.</translation>
    </message>
</context>
<context>
    <name>LogWindow</name>
    <message>
        <source>{app} — Log</source>
        <translation>{app} — Protokoll</translation>
    </message>
    <message>
        <source>No application opens text files here; the log is {path}</source>
        <translation>Hier öffnet kein Programm Textdateien; das Protokoll liegt in {path}</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>Protokoll</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Kopieren</translation>
    </message>
</context>
<context>
    <name>ProblemWindow</name>
    <message>
        <source>Technical details (also in the log):</source>
        <translation>Technische Details (auch im Protokoll):</translation>
    </message>
    <message>
        <source>Technical details</source>
        <translation>Technische Details</translation>
    </message>
    <message>
        <source>&amp;Copy details</source>
        <translation>Details &amp;kopieren</translation>
    </message>
    <message>
        <source>Open &amp;log</source>
        <translation>&amp;Protokoll öffnen</translation>
    </message>
</context>
<context>
    <name>ResizeDialog</name>
    <message>
        <source>{amount}/h</source>
        <translation>{amount}/h</translation>
    </message>
    <message>
        <source>{sign}{amount}/h</source>
        <translation>{sign}{amount}/h</translation>
    </message>
    <message>
        <source>{app} — Resize {vm}</source>
        <translation>{app} — Größe von {vm} ändern</translation>
    </message>
    <message>
        <source>&lt;b&gt;{vm}&lt;/b&gt; is {state}, size {size}.</source>
        <translation>&lt;b&gt;{vm}&lt;/b&gt;: Zustand {state}, Größe {size}.</translation>
    </message>
    <message>
        <source>Sizes</source>
        <translation>Größen</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <source>vCPU</source>
        <translation>vCPU</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>Arbeitsspeicher</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>Preis</translation>
    </message>
    <message>
        <source>Prices are each size&apos;s on-demand compute price per hour. The menu&apos;s cost also counts the disk and the public IP address, which a resize does not change.</source>
        <translation>Die Preise sind der On-Demand-Rechenpreis pro Stunde jeder Größe. Die Kosten im Menü enthalten auch die Festplatte und die öffentliche IP-Adresse, die sich beim Ändern der Größe nicht ändern.</translation>
    </message>
    <message>
        <source>Loading the sizes you can use…</source>
        <translation>Die verfügbaren Größen werden geladen…</translation>
    </message>
    <message>
        <source>The VM stops for the resize: SSH sessions, tunnels and jobs running on it will be cut off. Save your work there first.</source>
        <translation>Die VM wird für die Größenänderung gestoppt: SSH-Sitzungen, Tunnel und laufende Jobs werden unterbrochen. Sichern Sie vorher Ihre Arbeit dort.</translation>
    </message>
    <message>
        <source>&amp;Resize</source>
        <translation>&amp;Größe ändern</translation>
    </message>
    <message>
        <source>{size} (current)</source>
        <translation>{size} (aktuell)</translation>
    </message>
    <message>
        <source>{gib} GiB</source>
        <translation>{gib} GiB</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>Choose a size.</source>
        <translation>Wählen Sie eine Größe.</translation>
    </message>
    <message>
        <source>This is {vm}&apos;s size now; choose another one.</source>
        <translation>Das ist die aktuelle Größe von {vm}; wählen Sie eine andere.</translation>
    </message>
    <message>
        <source>Checking {size}…</source>
        <translation>{size} wird geprüft…</translation>
    </message>
    <message>
        <source>New price: {price}</source>
        <translation>Neuer Preis: {price}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>{app} — Settings</source>
        <translation>{app} — Einstellungen</translation>
    </message>
    <message>
        <source>&amp;Open config.toml</source>
        <translation>config.toml &amp;öffnen</translation>
    </message>
    <message>
        <source>devtray cannot read {path}: {error}
Fix it below or in the file.</source>
        <translation>devtray kann {path} nicht lesen: {error}
Korrigieren Sie es unten oder in der Datei.</translation>
    </message>
    <message>
        <source>Cloud</source>
        <translation>Cloud</translation>
    </message>
    <message>
        <source>&amp;Cloud</source>
        <translation>&amp;Cloud</translation>
    </message>
    <message>
        <source>default credential chain</source>
        <translation>Standard-Anmeldekette</translation>
    </message>
    <message>
        <source>the profile&apos;s region</source>
        <translation>die Region des Profils</translation>
    </message>
    <message>
        <source>a GUID</source>
        <translation>eine GUID</translation>
    </message>
    <message>
        <source>the DevTest Lab&apos;s name</source>
        <translation>der Name des DevTest Lab</translation>
    </message>
    <message>
        <source>AWS &amp;profile</source>
        <translation>AWS-&amp;Profil</translation>
    </message>
    <message>
        <source>&amp;Region</source>
        <translation>&amp;Region</translation>
    </message>
    <message>
        <source>Owner &amp;tag</source>
        <translation>Besitzer-&amp;Tag</translation>
    </message>
    <message>
        <source>Subscription</source>
        <translation>Abonnement</translation>
    </message>
    <message>
        <source>Resource group</source>
        <translation>Ressourcengruppe</translation>
    </message>
    <message>
        <source>&amp;Lab</source>
        <translation>&amp;Lab</translation>
    </message>
    <message>
        <source>Azure cloud</source>
        <translation>Azure-Cloud</translation>
    </message>
    <message>
        <source>Projects</source>
        <translation>Projekte</translation>
    </message>
    <message>
        <source>the local folder to sync</source>
        <translation>der lokale Ordner, der synchronisiert wird</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Auswählen…</translation>
    </message>
    <message>
        <source>Project &amp;folder</source>
        <translation>Projekt&amp;ordner</translation>
    </message>
    <message>
        <source>Forwarded &amp;ports</source>
        <translation>Weitergeleitete &amp;Ports</translation>
    </message>
    <message>
        <source>Auto-stop</source>
        <translation>Automatischer Stopp</translation>
    </message>
    <message>
        <source>&amp;Stop my VM at the end of the day</source>
        <translation>Meine VM am Ende des Tages &amp;stoppen</translation>
    </message>
    <message>
        <source>Stop &amp;at</source>
        <translation>Stoppen &amp;um</translation>
    </message>
    <message>
        <source>On</source>
        <translation>An</translation>
    </message>
    <message>
        <source> min</source>
        <translation> Min.</translation>
    </message>
    <message>
        <source>When &amp;idle for</source>
        <translation>Bei &amp;Leerlauf seit</translation>
    </message>
    <message>
        <source>&amp;Warn before</source>
        <translation>&amp;Warnen vorher</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>the VM image&apos;s user</source>
        <translation>der Benutzer des VM-Images</translation>
    </message>
    <message>
        <source>SSH &amp;user</source>
        <translation>SSH-&amp;Benutzer</translation>
    </message>
    <message>
        <source>SSH &amp;key</source>
        <translation>SSH-&amp;Schlüssel</translation>
    </message>
    <message>
        <source>General</source>
        <translation>Allgemein</translation>
    </message>
    <message>
        <source>Start devtray when I &amp;log in</source>
        <translation>devtray bei der &amp;Anmeldung starten</translation>
    </message>
    <message>
        <source>Refresh while &amp;changing</source>
        <translation>Aktualisieren bei &amp;Änderungen</translation>
    </message>
    <message>
        <source>Refresh while s&amp;table</source>
        <translation>Aktualisieren im &amp;Ruhezustand</translation>
    </message>
    <message>
        <source>Project folder</source>
        <translation>Projektordner</translation>
    </message>
    <message>
        <source>SSH key</source>
        <translation>SSH-Schlüssel</translation>
    </message>
    <message>
        <source>Could not save {path}: {reason}</source>
        <translation>{path} konnte nicht gespeichert werden: {reason}</translation>
    </message>
</context>
<context>
    <name>SignInWindow</name>
    <message>
        <source>{app} — Welcome</source>
        <translation>{app} — Willkommen</translation>
    </message>
    <message>
        <source>{app} — Sign in</source>
        <translation>{app} — Anmelden</translation>
    </message>
    <message>
        <source>devtray finds your cloud VM and starts, stops and resizes it from the tray.
Sign in to your cloud, or try everything first in the demo cloud.</source>
        <translation>devtray findet Ihre Cloud-VM und startet, stoppt und skaliert sie aus dem Infobereich.
Melden Sie sich bei Ihrer Cloud an oder probieren Sie zuerst alles in der Demo-Cloud aus.</translation>
    </message>
    <message>
        <source>Sign in to your cloud.</source>
        <translation>Melden Sie sich bei Ihrer Cloud an.</translation>
    </message>
    <message>
        <source>AWS profile (empty: default; {new} when set up from a start URL)</source>
        <translation>AWS-Profil (leer: Standard; {new}, wenn über eine Start-URL eingerichtet)</translation>
    </message>
    <message>
        <source>https://my-company.awsapps.com/start (new profile only)</source>
        <translation>https://my-company.awsapps.com/start (nur für ein neues Profil)</translation>
    </message>
    <message>
        <source>its region, e.g. eu-west-1</source>
        <translation>ihre Region, z. B. eu-west-1</translation>
    </message>
    <message>
        <source>AWS profile</source>
        <translation>AWS-Profil</translation>
    </message>
    <message>
        <source>AWS start URL</source>
        <translation>AWS-Start-URL</translation>
    </message>
    <message>
        <source>AWS start URL&apos;s region</source>
        <translation>Region der AWS-Start-URL</translation>
    </message>
    <message>
        <source>Sign in to &amp;AWS</source>
        <translation>Bei &amp;AWS anmelden</translation>
    </message>
    <message>
        <source>AWS (IAM Identity Center)</source>
        <translation>AWS (IAM Identity Center)</translation>
    </message>
    <message>
        <source>&amp;Profile</source>
        <translation>&amp;Profil</translation>
    </message>
    <message>
        <source>&amp;Start URL</source>
        <translation>&amp;Start-URL</translation>
    </message>
    <message>
        <source>R&amp;egion</source>
        <translation>R&amp;egion</translation>
    </message>
    <message>
        <source>&amp;Use this role</source>
        <translation>Diese Rolle &amp;verwenden</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rolle</translation>
    </message>
    <message>
        <source>Microsoft Azure (DevTest Labs)</source>
        <translation>Microsoft Azure (DevTest Labs)</translation>
    </message>
    <message>
        <source>tenant id or domain (empty: your home tenant)</source>
        <translation>Mandanten-ID oder Domäne (leer: Ihr Basismandant)</translation>
    </message>
    <message>
        <source>Azure tenant</source>
        <translation>Azure-Mandant</translation>
    </message>
    <message>
        <source>Sign in to A&amp;zure</source>
        <translation>Bei A&amp;zure anmelden</translation>
    </message>
    <message>
        <source>&amp;Try the demo</source>
        <translation>Demo &amp;ausprobieren</translation>
    </message>
    <message>
        <source>Starting sign-in… finish it in the browser window that opens.</source>
        <translation>Anmeldung wird gestartet… schließen Sie sie im Browserfenster ab, das sich öffnet.</translation>
    </message>
    <message>
        <source>Open &lt;a href=&quot;{url}&quot;&gt;{url}&lt;/a&gt; and enter the code &lt;b&gt;{code}&lt;/b&gt;.</source>
        <translation>Öffnen Sie &lt;a href=&quot;{url}&quot;&gt;{url}&lt;/a&gt; und geben Sie den Code &lt;b&gt;{code}&lt;/b&gt; ein.</translation>
    </message>
</context>
<context>
    <name>SpendChart</name>
    <message>
        <source>Cost per day</source>
        <translation>Kosten pro Tag</translation>
    </message>
    <message>
        <source>billed</source>
        <translation>abgerechnet</translation>
    </message>
    <message>
        <source>estimate</source>
        <translation>Schätzung</translation>
    </message>
    <message>
        <source>estimate; some hours were not recorded</source>
        <translation>Schätzung; einige Stunden wurden nicht erfasst</translation>
    </message>
    <message>
        <source>{day}: {amount} ({kind})</source>
        <translation>{day}: {amount} ({kind})</translation>
    </message>
    <message>
        <source>Today, {text}</source>
        <translation>Heute, {text}</translation>
    </message>
</context>
<context>
    <name>SpendingWindow</name>
    <message>
        <source>This month: {amount} (estimate)</source>
        <translation>Dieser Monat: {amount} (Schätzung)</translation>
    </message>
    <message>
        <source>This month: {amount} (estimate, partial)</source>
        <translation>Dieser Monat: {amount} (Schätzung, unvollständig)</translation>
    </message>
    <message>
        <source>This month: {billed} billed to {day} + {estimate} estimate since</source>
        <translation>Dieser Monat: {billed} abgerechnet bis {day} + {estimate} geschätzt seitdem</translation>
    </message>
    <message>
        <source>(partial)</source>
        <translation>(unvollständig)</translation>
    </message>
    <message>
        <source>(1 VM: {scope})</source>
        <translation>(1 VM: {scope})</translation>
    </message>
    <message>
        <source>(all {count} VMs: {scope})</source>
        <translation>(alle {count} VMs: {scope})</translation>
    </message>
    <message>
        <source>{app} — Spending: {vm}</source>
        <translation>{app} — Ausgaben: {vm}</translation>
    </message>
    <message>
        <source>Working it out…</source>
        <translation>Wird berechnet…</translation>
    </message>
    <message>
        <source>Estimates come from devtray&apos;s own record of the VM&apos;s states, priced with list prices.</source>
        <translation>Schätzungen beruhen auf devtrays eigener Aufzeichnung der VM-Zustände, bewertet mit Listenpreisen.</translation>
    </message>
    <message numerus="yes">
        <source>Last %n day(s): {amount}</source>
        <translation>
            <numerusform>Letzter %n Tag: {amount}</numerusform>
            <numerusform>Letzte %n Tage: {amount}</numerusform>
        </translation>
    </message>
    <message>
        <source>(billed to {day}, estimate since)</source>
        <translation>(abgerechnet bis {day}, seitdem geschätzt)</translation>
    </message>
    <message>
        <source>While stopped it still costs {amount}/day (disks, IP address).</source>
        <translation>Gestoppt kostet sie weiterhin {amount}/Tag (Festplatten, IP-Adresse).</translation>
    </message>
    <message>
        <source>Spot saved {saved} this month ({on_demand} at on-demand prices)</source>
        <translation>Spot hat diesen Monat {saved} gespart ({on_demand} zu On-Demand-Preisen)</translation>
    </message>
    <message>
        <source>Billed figures: {source}, {scope}.</source>
        <translation>Abgerechnete Beträge: {source}, {scope}.</translation>
    </message>
    <message>
        <source>Billed by the cloud</source>
        <translation>Von der Cloud abgerechnet</translation>
    </message>
    <message>
        <source>Estimate</source>
        <translation>Schätzung</translation>
    </message>
    <message>
        <source>Estimate, some hours not recorded</source>
        <translation>Schätzung, einige Stunden nicht erfasst</translation>
    </message>
    <message>
        <source>Today (outlined)</source>
        <translation>Heute (umrandet)</translation>
    </message>
    <message>
        <source>Hover a bar for its amount.</source>
        <translation>Zeigen Sie auf einen Balken, um seinen Betrag zu sehen.</translation>
    </message>
</context>
<context>
    <name>SpotWatch</name>
    <message>
        <source>Switch to on-demand (keeps the disk)…</source>
        <translation>Zu On-Demand wechseln (behält die Festplatte)…</translation>
    </message>
    <message>
        <source>Switch to spot (keeps the disk)…</source>
        <translation>Zu Spot wechseln (behält die Festplatte)…</translation>
    </message>
    <message>
        <source>Waiting for spot capacity — AWS restarts {name} when it can</source>
        <translation>Warten auf Spot-Kapazität — AWS startet {name} neu, sobald es geht</translation>
    </message>
    <message>
        <source>AWS recommends moving off this spot VM (capacity is getting short)</source>
        <translation>AWS empfiehlt, diese Spot-VM zu verlassen (die Kapazität wird knapp)</translation>
    </message>
    <message>
        <source>AWS takes it back at {time} (in {left})</source>
        <translation>AWS nimmt sie um {time} zurück (in {left})</translation>
    </message>
    <message>
        <source>Move {name} to {market}, keeping its disk? It is stopped, imaged and launched again; the old instance is terminated once the new one answers over SSH.</source>
        <translation>{name} zu {market} verschieben und die Festplatte behalten? Sie wird gestoppt, als Image gesichert und neu gestartet; die alte Instanz wird beendet, sobald die neue über SSH antwortet.</translation>
    </message>
    <message>
        <source>Switch market</source>
        <translation>Markt wechseln</translation>
    </message>
    <message>
        <source>Moving {name} to {market}…</source>
        <translation>{name} wird zu {market} verschoben…</translation>
    </message>
    <message>
        <source>{name} is now {market}.</source>
        <translation>{name} ist jetzt {market}.</translation>
    </message>
    <message>
        <source>Spot capacity is getting short</source>
        <translation>Die Spot-Kapazität wird knapp</translation>
    </message>
    <message>
        <source>AWS may take {name} back soon; sync is kept up to date.</source>
        <translation>AWS nimmt {name} vielleicht bald zurück; die Synchronisierung bleibt aktuell.</translation>
    </message>
    <message>
        <source>Spot interruption</source>
        <translation>Spot-Unterbrechung</translation>
    </message>
    <message>
        <source>AWS takes {name} back at {time} (in {left})</source>
        <translation>AWS nimmt {name} um {time} zurück (in {left})</translation>
    </message>
</context>
<context>
    <name>TrayApp</name>
    <message>
        <source>Starting {vm} for {app}</source>
        <translation>{vm} wird für {app} gestartet</translation>
    </message>
    <message>
        <source>It will connect as soon as SSH answers.</source>
        <translation>Die Verbindung folgt, sobald SSH antwortet.</translation>
    </message>
    <message>
        <source>{vm} was not started</source>
        <translation>{vm} wurde nicht gestartet</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>{price}/h</source>
        <translation>{price}/h</translation>
    </message>
</context>
<context>
    <name>autostop</name>
    <message>
        <source>keeps running tonight</source>
        <translation>läuft heute Abend weiter</translation>
    </message>
    <message>
        <source>stops at {when}</source>
        <translation>stoppt um {when}</translation>
    </message>
    <message numerus="yes">
        <source>stops at {when} (in %n min)</source>
        <translation>
            <numerusform>stoppt um {when} (in %n Min.)</numerusform>
            <numerusform>stoppt um {when} (in %n Min.)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>cost_autostop</name>
    <message numerus="yes">
        <source>Snooze %n min</source>
        <translation>
            <numerusform>%n Min. später erinnern</numerusform>
            <numerusform>%n Min. später erinnern</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Snooze %n h</source>
        <translation>
            <numerusform>%n Std. später erinnern</numerusform>
            <numerusform>%n Std. später erinnern</numerusform>
        </translation>
    </message>
    <message>
        <source>{vm}: {text}</source>
        <translation>{vm}: {text}</translation>
    </message>
    <message>
        <source>Cost: pricing…</source>
        <translation>Kosten: Preise werden ermittelt…</translation>
    </message>
    <message>
        <source>Auto-stop: {countdown}</source>
        <translation>Automatischer Stopp: {countdown}</translation>
    </message>
    <message>
        <source>Spot {rate}/h · saves {percent} % · {today}</source>
        <translation>Spot {rate}/h · spart {percent} % · {today}</translation>
    </message>
    <message>
        <source>Spot {rate}/h · saves {percent} % · price read {read} · {today}</source>
        <translation>Spot {rate}/h · spart {percent} % · Preis gelesen {read} · {today}</translation>
    </message>
    <message>
        <source>Spending…</source>
        <translation>Ausgaben…</translation>
    </message>
</context>
<context>
    <name>day</name>
    <message>
        <source>signed in</source>
        <translation>angemeldet</translation>
    </message>
    <message>
        <source>VM started</source>
        <translation>VM gestartet</translation>
    </message>
    <message>
        <source>SSH config</source>
        <translation>SSH-Konfiguration</translation>
    </message>
    <message>
        <source>SSH</source>
        <translation>SSH</translation>
    </message>
    <message>
        <source>tunnels</source>
        <translation>Tunnel</translation>
    </message>
    <message>
        <source>sync</source>
        <translation>Synchronisierung</translation>
    </message>
    <message>
        <source>open</source>
        <comment>day step: the IDE is opened</comment>
        <translation>öffnen</translation>
    </message>
    <message>
        <source>Today: {time}, {cost}</source>
        <translation>Heute: {time}, {cost}</translation>
    </message>
    <message>
        <source>Today: {time}</source>
        <translation>Heute: {time}</translation>
    </message>
    <message>
        <source>Today: {cost}</source>
        <translation>Heute: {cost}</translation>
    </message>
    <message>
        <source>{vm} stopped.</source>
        <translation>{vm} gestoppt.</translation>
    </message>
    <message>
        <source>{h} h {m} min</source>
        <translation>{h} Std. {m} Min.</translation>
    </message>
    <message>
        <source>{m} min</source>
        <translation>{m} Min.</translation>
    </message>
</context>
<context>
    <name>day_rows</name>
    <message>
        <source>Checking sign-in…</source>
        <translation>Anmeldung wird geprüft…</translation>
    </message>
    <message>
        <source>Starting {vm}…</source>
        <translation>{vm} wird gestartet…</translation>
    </message>
    <message>
        <source>Writing the SSH config…</source>
        <translation>SSH-Konfiguration wird geschrieben…</translation>
    </message>
    <message>
        <source>Waiting for SSH on {vm}…</source>
        <translation>Warten auf SSH auf {vm}…</translation>
    </message>
    <message>
        <source>Opening tunnels…</source>
        <translation>Tunnel werden geöffnet…</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>Synchronisiere…</translation>
    </message>
    <message>
        <source>Opening {ide}…</source>
        <translation>{ide} wird geöffnet…</translation>
    </message>
    <message>
        <source>{n} s</source>
        <translation>{n} s</translation>
    </message>
    <message>
        <source>Ending the day…</source>
        <translation>Arbeitstag wird beendet…</translation>
    </message>
    <message>
        <source>Starting the day…</source>
        <translation>Arbeitstag wird gestartet…</translation>
    </message>
    <message>
        <source>{step} failed: {reason}</source>
        <translation>{step} fehlgeschlagen: {reason}</translation>
    </message>
    <message>
        <source>Demo VM simulated: {why}</source>
        <translation>Demo-VM simuliert: {why}</translation>
    </message>
    <message>
        <source>{mark} {step}</source>
        <translation>{mark} {step}</translation>
    </message>
    <message>
        <source>{steps}   {step}</source>
        <translation>{steps}   {step}</translation>
    </message>
    <message>
        <source>{text} · {hourly}</source>
        <translation>{text} · {hourly}</translation>
    </message>
    <message>
        <source>{vm} · {state}</source>
        <translation>{vm} · {state}</translation>
    </message>
    <message>
        <source>{vm} · {state} · {ended}</source>
        <translation>{vm} · {state} · {ended}</translation>
    </message>
    <message>
        <source>Ready · {vm}</source>
        <translation>Bereit · {vm}</translation>
    </message>
    <message>
        <source>{vm} · starting — {elapsed}</source>
        <translation>{vm} · startet — {elapsed}</translation>
    </message>
    <message>
        <source>{vm} · ending the day — {elapsed}</source>
        <translation>{vm} · Arbeitstag endet — {elapsed}</translation>
    </message>
    <message>
        <source>{vm} · could not start the day</source>
        <translation>{vm} · Arbeitstag konnte nicht starten</translation>
    </message>
    <message>
        <source>not found</source>
        <translation>nicht gefunden</translation>
    </message>
    <message>
        <source>↻ Retry: start my day — {project} on {vm}</source>
        <translation>↻ Erneut versuchen: Arbeitstag starten — {project} auf {vm}</translation>
    </message>
    <message>
        <source>▶ Start my day — {project} on {vm}</source>
        <translation>▶ Arbeitstag starten — {project} auf {vm}</translation>
    </message>
    <message>
        <source>loading…</source>
        <translation>wird geladen…</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>offline</translation>
    </message>
    <message>
        <source>its VM {vm} is not among yours</source>
        <translation>seine VM {vm} gehört nicht zu Ihren</translation>
    </message>
    <message>
        <source>wait until {vm} is running or stopped</source>
        <translation>warten, bis {vm} läuft oder gestoppt ist</translation>
    </message>
    <message>
        <source>Open in {ide}</source>
        <translation>In {ide} öffnen</translation>
    </message>
    <message>
        <source>when the day is ready</source>
        <translation>sobald der Arbeitstag bereit ist</translation>
    </message>
    <message>
        <source>Open in {ide} (starts {vm})</source>
        <translation>In {ide} öffnen (startet {vm})</translation>
    </message>
    <message>
        <source>already ending</source>
        <translation>endet bereits</translation>
    </message>
    <message>
        <source>cancel the start instead</source>
        <translation>brechen Sie stattdessen den Start ab</translation>
    </message>
    <message>
        <source>nothing is running</source>
        <translation>es läuft nichts</translation>
    </message>
    <message>
        <source>■ End my day</source>
        <translation>■ Arbeitstag beenden</translation>
    </message>
    <message>
        <source>{project} ({vm}, {ide})</source>
        <translation>{project} ({vm}, {ide})</translation>
    </message>
    <message>
        <source>Start my day</source>
        <translation>Arbeitstag starten</translation>
    </message>
    <message>
        <source>a day is starting or ending</source>
        <translation>ein Arbeitstag startet oder endet</translation>
    </message>
    <message>
        <source>its VM is not found</source>
        <translation>seine VM wurde nicht gefunden</translation>
    </message>
    <message>
        <source>Add project folder…</source>
        <translation>Projektordner hinzufügen…</translation>
    </message>
    <message>
        <source>Projects</source>
        <translation>Projekte</translation>
    </message>
    <message>
        <source>Set up your day…</source>
        <translation>Arbeitstag einrichten…</translation>
    </message>
    <message>
        <source>■ {doing} (step {i} of {n}) · {t}</source>
        <translation>■ {doing} (Schritt {i} von {n}) · {t}</translation>
    </message>
    <message>
        <source>{doing} {elapsed}</source>
        <translation>{doing} {elapsed}</translation>
    </message>
</context>
<context>
    <name>duration</name>
    <message>
        <source>{s}s</source>
        <translation>{s} s</translation>
    </message>
    <message>
        <source>{m}m</source>
        <translation>{m} Min.</translation>
    </message>
    <message>
        <source>{h}h {m}m</source>
        <translation>{h} Std. {m} Min.</translation>
    </message>
    <message>
        <source>{d}d {h}h</source>
        <translation>{d} T. {h} Std.</translation>
    </message>
</context>
<context>
    <name>glance</name>
    <message>
        <source>Something went wrong</source>
        <translation>Etwas ist schiefgegangen</translation>
    </message>
    <message>
        <source>An unexpected error happened: {error}</source>
        <translation>Ein unerwarteter Fehler ist aufgetreten: {error}</translation>
    </message>
    <message>
        <source>Copy the details into a bug report; the log has the full story.</source>
        <translation>Kopieren Sie die Details in einen Fehlerbericht; das Protokoll enthält alles Weitere.</translation>
    </message>
    <message>
        <source>devtray (Demo)</source>
        <translation>devtray (Demo)</translation>
    </message>
    <message>
        <source>{vm} — {state}, {size}</source>
        <translation>{vm} — {state}, {size}</translation>
    </message>
    <message>
        <source>{vm} — {state}, {size}, up {up}</source>
        <translation>{vm} — {state}, {size}, seit {up}</translation>
    </message>
    <message>
        <source>{title}: {message}</source>
        <translation>{title}: {message}</translation>
    </message>
    <message>
        <source>Looking for your VMs…</source>
        <translation>Ihre VMs werden gesucht…</translation>
    </message>
    <message>
        <source>No VMs of yours were found</source>
        <translation>Es wurden keine VMs von Ihnen gefunden</translation>
    </message>
    <message>
        <source>Claiming {vm}…</source>
        <translation>{vm} wird übernommen…</translation>
    </message>
    <message>
        <source>Stops the VM, changes it to {size} and starts it again (~{about}).</source>
        <translation>Stoppt die VM, ändert sie auf {size} und startet sie wieder (~{about}).</translation>
    </message>
    <message>
        <source>Stops the VM and changes it to {size} (~{about}).</source>
        <translation>Stoppt die VM und ändert sie auf {size} (~{about}).</translation>
    </message>
    <message>
        <source>Changes the stopped VM to {size} (~{about}); it stays stopped.</source>
        <translation>Ändert die gestoppte VM auf {size} (~{about}); sie bleibt gestoppt.</translation>
    </message>
    <message>
        <source>starting</source>
        <comment>VM state</comment>
        <translation>startet</translation>
    </message>
    <message>
        <source>running</source>
        <comment>VM state</comment>
        <translation>läuft</translation>
    </message>
    <message>
        <source>stopping</source>
        <comment>VM state</comment>
        <translation>stoppt</translation>
    </message>
    <message>
        <source>stopped</source>
        <comment>VM state</comment>
        <translation>gestoppt</translation>
    </message>
    <message>
        <source>resizing</source>
        <comment>VM state</comment>
        <translation>Größe wird geändert</translation>
    </message>
    <message>
        <source>claiming</source>
        <comment>VM state</comment>
        <translation>wird übernommen</translation>
    </message>
    <message>
        <source>terminated</source>
        <comment>VM state</comment>
        <translation>beendet</translation>
    </message>
    <message>
        <source>unknown</source>
        <comment>VM state</comment>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>{title} ({at})</source>
        <translation>{title} ({at})</translation>
    </message>
    <message>
        <source>as of {at} — offline</source>
        <translation>Stand {at} — offline</translation>
    </message>
    <message numerus="yes">
        <source>as of {at} — offline, retrying in %n s</source>
        <translation>
            <numerusform>Stand {at} — offline, neuer Versuch in %n s</numerusform>
            <numerusform>Stand {at} — offline, neuer Versuch in %n s</numerusform>
        </translation>
    </message>
    <message>
        <source>as of {at} — offline, retrying now</source>
        <translation>Stand {at} — offline, neuer Versuch jetzt</translation>
    </message>
</context>
<context>
    <name>menu</name>
    <message>
        <source>{text} — {reason}</source>
        <translation>{text} — {reason}</translation>
    </message>
    <message>
        <source>not available yet</source>
        <translation>noch nicht verfügbar</translation>
    </message>
    <message>
        <source>not set up yet</source>
        <translation>noch nicht eingerichtet</translation>
    </message>
    <message>
        <source>Cost</source>
        <translation>Kosten</translation>
    </message>
    <message>
        <source>not tracked yet</source>
        <translation>noch nicht erfasst</translation>
    </message>
    <message>
        <source>Sync</source>
        <translation>Synchronisierung</translation>
    </message>
    <message>
        <source>Tunnels</source>
        <translation>Tunnel</translation>
    </message>
    <message>
        <source>Open in VS Code</source>
        <translation>In VS Code öffnen</translation>
    </message>
    <message>
        <source>Open in PyCharm</source>
        <translation>In PyCharm öffnen</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>offline</translation>
    </message>
    <message>
        <source>wait until it is running or stopped</source>
        <translation>warten, bis sie läuft oder gestoppt ist</translation>
    </message>
    <message>
        <source>resizing</source>
        <translation>Größe wird geändert</translation>
    </message>
    <message>
        <source>the VM is terminated</source>
        <translation>die VM ist beendet</translation>
    </message>
    <message>
        <source>state unknown</source>
        <translation>Zustand unbekannt</translation>
    </message>
    <message>
        <source>already running</source>
        <translation>läuft bereits</translation>
    </message>
    <message>
        <source>already starting</source>
        <translation>startet bereits</translation>
    </message>
    <message>
        <source>wait until it has stopped</source>
        <translation>warten, bis sie gestoppt ist</translation>
    </message>
    <message>
        <source>already stopped</source>
        <translation>bereits gestoppt</translation>
    </message>
    <message>
        <source>already stopping</source>
        <translation>stoppt bereits</translation>
    </message>
    <message>
        <source>wait until it is running</source>
        <translation>warten, bis sie läuft</translation>
    </message>
    <message>
        <source>already {doing}</source>
        <translation>bereits: {doing}</translation>
    </message>
    <message>
        <source>busy {doing}</source>
        <translation>beschäftigt: {doing}</translation>
    </message>
    <message>
        <source>State: {state} · {size}</source>
        <translation>Zustand: {state} · {size}</translation>
    </message>
    <message>
        <source>up {up}</source>
        <translation>läuft seit {up}</translation>
    </message>
    <message>
        <source>{facts} · {fact}</source>
        <translation>{facts} · {fact}</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Starten</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Stoppen</translation>
    </message>
    <message>
        <source>Resize…</source>
        <translation>Größe ändern…</translation>
    </message>
    <message>
        <source>⚠ {title}: details…</source>
        <translation>⚠ {title}: Details…</translation>
    </message>
    <message>
        <source>check the owner tag and region in Settings…</source>
        <translation>prüfen Sie Besitzer-Tag und Region in den Einstellungen…</translation>
    </message>
    <message>
        <source>{vm} ({size}, {state})</source>
        <translation>{vm} ({size}, {state})</translation>
    </message>
    <message>
        <source>Claim a VM…</source>
        <translation>Eine VM übernehmen…</translation>
    </message>
    <message>
        <source>Retry now</source>
        <translation>Jetzt erneut versuchen</translation>
    </message>
    <message>
        <source>Problems</source>
        <translation>Probleme</translation>
    </message>
    <message>
        <source>Sign in… (needed)</source>
        <translation>Anmelden… (erforderlich)</translation>
    </message>
    <message>
        <source>Sign in…</source>
        <translation>Anmelden…</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Einstellungen…</translation>
    </message>
    <message>
        <source>Show log…</source>
        <translation>Protokoll anzeigen…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
</context>
<context>
    <name>rows</name>
    <message>
        <source>the VM is not running</source>
        <translation>die VM läuft nicht</translation>
    </message>
    <message numerus="yes">
        <source>{up} of %n tunnel(s) up</source>
        <translation>
            <numerusform>{up} von %n Tunnel aktiv</numerusform>
            <numerusform>{up} von %n Tunneln aktiv</numerusform>
        </translation>
    </message>
    <message>
        <source>Open in {ide}</source>
        <translation>In {ide} öffnen</translation>
    </message>
    <message>
        <source>Open in {ide} ({project})</source>
        <translation>In {ide} öffnen ({project})</translation>
    </message>
    <message>
        <source>Open in {ide} ({project}, starts {vm})</source>
        <translation>In {ide} öffnen ({project}, startet {vm})</translation>
    </message>
    <message>
        <source>{row} (simulated)</source>
        <translation>{row} (simuliert)</translation>
    </message>
    <message>
        <source>Resume sync</source>
        <translation>Synchronisierung fortsetzen</translation>
    </message>
    <message>
        <source>Pause sync</source>
        <translation>Synchronisierung anhalten</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>Jetzt synchronisieren</translation>
    </message>
    <message>
        <source>Stop sync</source>
        <translation>Synchronisierung beenden</translation>
    </message>
    <message>
        <source>Sync: {summary}</source>
        <translation>Synchronisierung: {summary}</translation>
    </message>
    <message>
        <source>Start sync</source>
        <translation>Synchronisierung starten</translation>
    </message>
    <message>
        <source>Stop tunnels</source>
        <translation>Tunnel schließen</translation>
    </message>
    <message>
        <source>no ports configured</source>
        <translation>keine Ports eingerichtet</translation>
    </message>
    <message>
        <source>Start tunnels</source>
        <translation>Tunnel öffnen</translation>
    </message>
    <message>
        <source>no project set</source>
        <translation>kein Projekt festgelegt</translation>
    </message>
</context>
<context>
    <name>shutdown</name>
    <message>
        <source>stops at {when} (now)</source>
        <translation>stoppt um {when} (jetzt)</translation>
    </message>
    <message>
        <source>stops at {when} (in {left})</source>
        <translation>stoppt um {when} (in {left})</translation>
    </message>
    <message>
        <source>{m} min</source>
        <translation>{m} Min.</translation>
    </message>
    <message>
        <source>{h} h</source>
        <translation>{h} Std.</translation>
    </message>
    <message>
        <source>{h} h {m} min</source>
        <translation>{h} Std. {m} Min.</translation>
    </message>
    <message>
        <source>{d} d</source>
        <translation>{d} T.</translation>
    </message>
    <message>
        <source>{d} d {h} h</source>
        <translation>{d} T. {h} Std.</translation>
    </message>
</context>
<context>
    <name>spend</name>
    <message>
        <source>Cost unknown (no record yet)</source>
        <translation>Kosten unbekannt (noch keine Aufzeichnung)</translation>
    </message>
    <message>
        <source>{rate}/h · {today}</source>
        <translation>{rate}/h · {today}</translation>
    </message>
    <message>
        <source>Spot {rate}/h · saves {percent} % · {today}</source>
        <translation>Spot {rate}/h · spart {percent} % · {today}</translation>
    </message>
    <message>
        <source>Stopped, still costs {daily}/day (disks, IP) · {today}</source>
        <translation>Gestoppt, kostet weiterhin {daily}/Tag (Festplatten, IP) · {today}</translation>
    </message>
    <message>
        <source>{state}, costs {daily}/day (disks, IP) · {today}</source>
        <translation>{state}, kostet {daily}/Tag (Festplatten, IP) · {today}</translation>
    </message>
    <message>
        <source>Today {today} ({covers})</source>
        <translation>Heute {today} ({covers})</translation>
    </message>
    <message>
        <source>today {today} ({covers})</source>
        <translation>heute {today} ({covers})</translation>
    </message>
    <message>
        <source>estimate</source>
        <translation>Schätzung</translation>
    </message>
    <message>
        <source>billed</source>
        <translation>abgerechnet</translation>
    </message>
    <message>
        <source>Starting</source>
        <translation>Startet</translation>
    </message>
    <message>
        <source>Stopping</source>
        <translation>Stoppt</translation>
    </message>
    <message>
        <source>Resizing</source>
        <translation>Größe wird geändert</translation>
    </message>
    <message>
        <source>{basis} since {began}, when devtray began recording</source>
        <translation>{basis} seit {began}, als devtray mit der Aufzeichnung begann</translation>
    </message>
    <message>
        <source>{basis}; {hours} without a known price</source>
        <translation>{basis}; {hours} ohne bekannten Preis</translation>
    </message>
    <message>
        <source>{basis}, some hours not recorded</source>
        <translation>{basis}, einige Stunden nicht erfasst</translation>
    </message>
</context>
<context>
    <name>standin</name>
    <message>
        <source>no OpenSSH server on this computer</source>
        <translation>kein OpenSSH-Server auf diesem Computer</translation>
    </message>
    <message>
        <source>no OpenSSH client on this computer</source>
        <translation>kein OpenSSH-Client auf diesem Computer</translation>
    </message>
    <message>
        <source>no rsync on this computer</source>
        <translation>kein rsync auf diesem Computer</translation>
    </message>
</context>
<context>
    <name>sync</name>
    <message>
        <source>starting</source>
        <comment>sync phase</comment>
        <translation>startet</translation>
    </message>
    <message>
        <source>watching</source>
        <comment>sync phase</comment>
        <translation>beobachtet</translation>
    </message>
    <message>
        <source>syncing</source>
        <comment>sync phase</comment>
        <translation>synchronisiert</translation>
    </message>
    <message>
        <source>paused</source>
        <comment>sync phase</comment>
        <translation>angehalten</translation>
    </message>
    <message>
        <source>offline</source>
        <comment>sync phase</comment>
        <translation>offline</translation>
    </message>
    <message>
        <source>error</source>
        <comment>sync phase</comment>
        <translation>Fehler</translation>
    </message>
    <message>
        <source>stopped</source>
        <comment>sync phase</comment>
        <translation>beendet</translation>
    </message>
    <message>
        <source>{text}, {more}</source>
        <translation>{text}, {more}</translation>
    </message>
    <message numerus="yes">
        <source>%Ln file(s) waiting</source>
        <translation>
            <numerusform>%Ln Datei wartet</numerusform>
            <numerusform>%Ln Dateien warten</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>syncing %Ln file(s)</source>
        <translation>
            <numerusform>%Ln Datei wird synchronisiert</numerusform>
            <numerusform>%Ln Dateien werden synchronisiert</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>syncing %Ln file(s) changed by checkout</source>
        <translation>
            <numerusform>%Ln durch Checkout geänderte Datei wird synchronisiert</numerusform>
            <numerusform>%Ln durch Checkout geänderte Dateien werden synchronisiert</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{text} (%Ln file(s) changed by checkout)</source>
        <translation>
            <numerusform>{text} (%Ln Datei durch Checkout geändert)</numerusform>
            <numerusform>{text} (%Ln Dateien durch Checkout geändert)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln conflict(s)</source>
        <translation>
            <numerusform>%Ln Konflikt</numerusform>
            <numerusform>%Ln Konflikte</numerusform>
        </translation>
    </message>
    <message>
        <source>{phase}: {reason}</source>
        <translation>{phase}: {reason}</translation>
    </message>
    <message>
        <source>unknown reason</source>
        <translation>unbekannter Grund</translation>
    </message>
    <message>
        <source>synced {ago}</source>
        <translation>synchronisiert {ago}</translation>
    </message>
    <message>
        <source>{n}s ago</source>
        <translation>vor {n} s</translation>
    </message>
    <message>
        <source>{n}m ago</source>
        <translation>vor {n} Min.</translation>
    </message>
    <message>
        <source>{n}h ago</source>
        <translation>vor {n} Std.</translation>
    </message>
</context>
<context>
    <name>tunnels</name>
    <message>
        <source>{forward}: {state}</source>
        <translation>{forward}: {state}</translation>
    </message>
    <message>
        <source>{forward}: {state} ({reason})</source>
        <translation>{forward}: {state} ({reason})</translation>
    </message>
    <message>
        <source>connecting</source>
        <comment>tunnel state</comment>
        <translation>verbindet</translation>
    </message>
    <message>
        <source>up</source>
        <comment>tunnel state</comment>
        <translation>aktiv</translation>
    </message>
    <message>
        <source>retrying</source>
        <comment>tunnel state</comment>
        <translation>neuer Versuch</translation>
    </message>
    <message>
        <source>failed</source>
        <comment>tunnel state</comment>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <source>stopped</source>
        <comment>tunnel state</comment>
        <translation>geschlossen</translation>
    </message>
</context>
</TS>
